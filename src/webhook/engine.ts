import { runtimeError } from '../errors.js';
import { summarize } from '../report/histogram.js';
import { phaseRecorder } from '../report/phases.js';
import { newRunId } from '../report/run-id.js';
import { RUN_RESULT_VERSION, type RunResult } from '../report/run-result.js';
import type { WebhookResult } from '../report/sections/webhook.js';
import { packageVersion } from '../util/version.js';
import { type OperationWeights, ReviewFactory, type ReviewSource } from './admission-review.js';
import { admitted, type FailurePolicy, type WebhookType } from './check-response.js';
import type { ClosedLoopRun } from './closed-loop.js';
import type { OpenLoopRun } from './open-loop.js';
import type { EngineProgress, PhaseLimit } from './phase.js';
import { cumulativeBuckets, WEBHOOK_METHODS } from './result.js';
import { displayUrl, type WebhookTarget } from './target.js';
import { type PreflightResult, tlsPreflight } from './tls-preflight.js';

export type WebhookLoad =
  | { engine: 'open'; rate: number; maxConnections: number }
  | { engine: 'closed'; connections: number };

export interface WebhookBenchOptions {
  target: WebhookTarget;
  webhook: {
    configuration: string | null;
    name: string | null;
    type: WebhookType;
    failurePolicy: FailurePolicy;
    timeoutSeconds: number;
  };
  load: WebhookLoad;
  limit: PhaseLimit;
  warmupMs: number;
  sources: ReviewSource[];
  scenario: RunResult['scenario'];
  shard?: RunResult['shard'];
  operations: OperationWeights;
  dryRunShare: number;
  /** kube context the webhook configuration came from ('' for --url alone) */
  context: string;
  runId?: string;
  signal?: AbortSignal;
  onPhase?: (name: 'preflight' | 'warmup' | 'measure') => void;
  onProgress?: (progress: EngineProgress) => void;
}

/** A RunResult with the webhook section (the schema gains `webhook` as an optional section). */
export type WebhookRunResult = RunResult & { webhook: WebhookResult };

export interface WebhookBenchRun {
  result: WebhookRunResult;
  /** for stderr: TLS verification off, rules that dropped objects, a generator that fell behind… */
  warnings: string[];
}

type AnyRun = (OpenLoopRun & { kind: 'open' }) | (ClosedLoopRun & { kind: 'closed' });

const round = (value: number, digits = 2) => +value.toFixed(digits);

const CLOSED_LOOP_NOTES = [
  'closed loop: autocannon does not verify TLS certificates; the preflight connection was verified (CA, name, validity) before any load',
  'closed loop: latency is per request (request written → answer), not from an intended start; use --rate for coordinated-omission-correct latency',
];

function buildResult(
  options: WebhookBenchOptions,
  preflight: PreflightResult,
  run: AnyRun,
  factory: ReviewFactory,
  notes: string[],
): WebhookResult {
  const { tally } = run;
  const failedCalls = tally.classes.httpError + tally.classes.timeout + tally.classes.wouldFail;
  const policy = options.webhook.failurePolicy;
  const spanS = run.spanMs / 1000;
  const throughput = spanS > 0 ? tally.ended / spanS : 0;
  const cpuMs = run.cpu.userMs + run.cpu.systemMs;
  let generator: WebhookResult['generator'];
  let achievedRate: number;
  if (run.kind === 'open') {
    achievedRate = run.startSpanMs > 0 ? ((run.sent - 1) * 1000) / run.startSpanMs : 0;
    const keptUp =
      run.interrupted || (run.lateStarts <= run.sent * 0.01 && achievedRate >= run.requestedRate * 0.99);
    generator = {
      keptUp,
      lateStarts: run.lateStarts,
      maxStartLagMs: round(run.maxLagMs),
      startLagP50Ms: run.pacing.lateness.p50,
      startLagP99Ms: run.pacing.lateness.p99,
      pacing: run.pacing,
      maxStartsIn10ms: run.maxStartsIn10ms,
      evenShareIn10ms: round(run.requestedRate / 100, 3),
      cpuMs: round(cpuMs, 1),
      cpuMsPer1000Requests: run.sent > 0 ? round((cpuMs * 1000) / run.sent) : 0,
    };
  } else {
    achievedRate = throughput;
    generator = {
      // a generator busy nearly all the time is the bottleneck, not the webhook
      keptUp: run.spanMs <= 0 || cpuMs / run.spanMs < 0.9,
      lateStarts: null,
      maxStartLagMs: null,
      startLagP50Ms: null,
      startLagP99Ms: null,
      pacing: null,
      maxStartsIn10ms: null,
      evenShareIn10ms: null,
      cpuMs: round(cpuMs, 1),
      cpuMsPer1000Requests: run.sent > 0 ? round((cpuMs * 1000) / run.sent) : 0,
    };
  }
  const counts = { ...tally.classes };
  return {
    target: {
      url: displayUrl(options.target.url),
      configuration: options.webhook.configuration,
      webhook: options.webhook.name,
      type: options.webhook.type,
      failurePolicy: policy,
      timeoutSeconds: options.webhook.timeoutSeconds,
    },
    tls: {
      verified: options.target.insecure
        ? 'none'
        : run.kind === 'open'
          ? 'every-connection'
          : 'preflight-only',
      insecureSkipTlsVerify: options.target.insecure,
      caOrigin: options.target.caOrigin,
      serverName: preflight.serverName,
      protocol: preflight.protocol,
      cipher: preflight.cipher,
      clientCertificate: options.target.cert !== undefined,
      peer: preflight.peer,
      handshakeMs: round(preflight.handshakeMs),
    },
    engine: run.kind === 'open' ? 'open-loop' : 'closed-loop',
    load: {
      requestedRate: run.kind === 'open' ? run.requestedRate : null,
      connections:
        run.kind === 'open' ? (options.load as { maxConnections: number }).maxConnections : run.connections,
      achievedRate: round(achievedRate),
      throughput: round(throughput),
      durationSeconds: round(spanS, 3),
      warmupSeconds: options.warmupMs / 1000,
      operations: { ...factory.issued },
      dryRun: factory.dryRunIssued,
      objects: factory.sourceCount,
    },
    requests: { sent: run.sent, ended: tally.ended, unanswered: run.unanswered },
    counts,
    allowed: counts.okAllowed,
    denied: counts.okDenied,
    deniedWithoutStatus: tally.deniedWithoutStatus,
    patched: tally.patched,
    warnings: tally.warnings,
    errors: Object.fromEntries([...tally.reasons].sort((a, b) => b[1] - a[1])),
    failurePolicy: {
      policy,
      admitted: (['okAllowed', 'okDenied', 'httpError', 'timeout', 'wouldFail'] as const).reduce(
        (sum, cls) => sum + (admitted(cls, policy) ? counts[cls] : 0),
        0,
      ),
      rejected: (['okAllowed', 'okDenied', 'httpError', 'timeout', 'wouldFail'] as const).reduce(
        (sum, cls) => sum + (admitted(cls, policy) ? 0 : counts[cls]),
        0,
      ),
      failedCalls,
    },
    latency: summarize(tally.histogram, 'us'),
    latencyUncorrected: run.kind === 'open' ? summarize(run.uncorrected, 'us') : null,
    apiServerBuckets: cumulativeBuckets(tally.buckets),
    generator,
    autocannonLatencyMs:
      run.kind === 'closed'
        ? { p50: run.autocannon.p50Ms, p99: run.autocannon.p99Ms, max: run.autocannon.maxMs }
        : null,
    latencyMethod:
      run.kind === 'open'
        ? WEBHOOK_METHODS['webhook.latency.open-loop']
        : WEBHOOK_METHODS['webhook.latency.closed-loop'],
    notes,
  };
}

/**
 * preflight (verified TLS + one AdmissionReview) → warm-up (discarded) → measured phase → result.
 * Prints nothing; a failed preflight throws a one-line VitictlError, failures during the run are data.
 */
export async function runWebhookBench(options: WebhookBenchOptions): Promise<WebhookBenchRun> {
  const startedAt = new Date();
  const { phases, phase } = phaseRecorder(options.onPhase, 'webhook-');
  const { webhook, target } = options;
  const factory = new ReviewFactory(options.sources, {
    operations: options.operations,
    dryRunShare: options.dryRunShare,
  });
  const preflight = await phase('preflight', () =>
    tlsPreflight(target, webhook.type, factory.next(), webhook.timeoutSeconds, options.signal),
  );
  const warnings = [...preflight.warnings];
  const engineTarget = { target, type: webhook.type, timeoutSeconds: webhook.timeoutSeconds, factory };
  let run: AnyRun;
  try {
    if (options.load.engine === 'open') {
      const { OpenLoop } = await import('./open-loop.js');
      const loop = new OpenLoop({
        ...engineTarget,
        rate: options.load.rate,
        connections: options.load.maxConnections,
      });
      try {
        if (options.warmupMs > 0 && !options.signal?.aborted) {
          await phase('warmup', () => loop.run({ durationMs: options.warmupMs }, options.signal));
        }
        factory.resetCounts();
        run = {
          kind: 'open',
          ...(await phase('measure', () => loop.run(options.limit, options.signal, options.onProgress))),
        };
      } finally {
        await loop.close();
      }
    } else {
      const { runClosedLoop } = await import('./closed-loop.js');
      const closed = { ...engineTarget, connections: options.load.connections };
      if (options.warmupMs > 0 && !options.signal?.aborted) {
        await phase('warmup', () => runClosedLoop(closed, { durationMs: options.warmupMs }, options.signal));
      }
      factory.resetCounts();
      run = {
        kind: 'closed',
        ...(await phase('measure', () =>
          runClosedLoop(closed, options.limit, options.signal, options.onProgress),
        )),
      };
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'VitictlError') throw error;
    throw runtimeError(`the load engine failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const notes = [...preflight.warnings];
  if (run.kind === 'closed' && !target.insecure) notes.push(...CLOSED_LOOP_NOTES);
  else if (run.kind === 'closed') notes.push(CLOSED_LOOP_NOTES[1] as string);
  const webhookResult = buildResult(options, preflight, run, factory, notes);
  if (!webhookResult.generator.keptUp) {
    const message =
      run.kind === 'open'
        ? `the generator could not keep up: ${run.lateStarts} starts more than 10 ms late (max ${webhookResult.generator.maxStartLagMs} ms), achieved ${webhookResult.load.achievedRate}/s of ${run.requestedRate}/s; latencies include that lateness`
        : `the generator was busy ${Math.round((100 * webhookResult.generator.cpuMs) / Math.max(1, run.spanMs))}% of the run: it, not the webhook, may be the bottleneck`;
    warnings.push(message);
    webhookResult.notes.push(message);
  }
  const endedAt = new Date();
  const result: WebhookRunResult = {
    schemaVersion: RUN_RESULT_VERSION,
    kind: 'vitictl.io/RunResult',
    tool: { name: 'vitictl', version: packageVersion() },
    runId: options.runId ?? newRunId(startedAt),
    scenario: options.scenario,
    ...(options.shard ? { shard: options.shard } : {}),
    target: {
      server: displayUrl(target.url),
      context: options.context,
      // not asked: a webhook bench talks to the webhook, not the API server
      kubernetesVersion: '',
      insecureSkipTlsVerify: target.insecure,
    },
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    interrupted: run.interrupted,
    phases,
    webhook: webhookResult,
    methods: { ...WEBHOOK_METHODS },
  };
  return { result, warnings };
}
