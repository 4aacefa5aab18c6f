import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertShardable, type LoadedProfile } from '../config/load-profile.js';
import { inputError } from '../errors.js';
import { labAuditLog } from '../lab/audit.js';
import type { ApplyProgress } from '../load/apply-engine.js';
import { applyRun } from '../load/apply-run.js';
import { defaultBurst } from '../load/rate-limiter.js';
import type { Target } from '../observe/target.js';
import { renderJunit } from '../render/junit.js';
import { renderMarkdown } from '../render/markdown.js';
import { newRunId } from '../report/run-id.js';
import type { GateResult, RunResult } from '../report/run-result.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { prepareScenario } from '../scenario/prepare.js';
import type { Shard } from '../scenario/shard.js';
import { writeChunks, writeFileAtomically } from '../util/atomic-write.js';
import { ensureOutDir } from '../util/out-dir.js';
import { baselineGates } from './gates/baseline.js';
import { evaluateGate } from './gates/evaluate.js';
import type { Gate } from './gates/grammar.js';
import type { Lifecycle } from './lifecycle.js';
import { prepareWebhookPhase } from './webhook-phase.js';

export interface PerfRunOptions {
  profile: LoadedProfile;
  /** run against the local lab, starting it when it is not running */
  lab: boolean;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** gates from --gates FILE, added to the profile's */
  extraGates: Gate[];
  /** scrape the API server's /metrics beside the load (--no-apiserver-metrics turns it off) */
  apiserverMetrics: boolean;
  /** etcd's metrics URL (--lab: the lab's etcd unless given) */
  etcdMetrics?: string | undefined;
  baseline?: RunResult | undefined;
  maxRegression: number;
  outDir: string;
  count?: number | undefined;
  /** spread namespaced objects over N namespaces (shards own whole namespaces) */
  namespaces?: number | undefined;
  /** default: generated; the shards of one run share it */
  runId?: string | undefined;
  /** objects may already carry the run id (explicitly adding to an earlier run) */
  reuseRunId?: boolean | undefined;
  /** run only this shard of the profile's run (gates are judged on the merged run) */
  shard?: Shard | undefined;
  /** also store the RunResult in ConfigMap `<name>-<shard index>` (perf job → perf collect) */
  resultConfigMap?: { name: string; namespace: string | undefined } | undefined;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  onPhase?: (phase: string) => void;
  onProgress?: (progress: ApplyProgress) => void;
  onInfo?: (message: string) => void;
  onWarning?: (message: string) => void;
  /** renders report.html when given (kept out of this module so it stays small) */
  renderHtml?: (result: RunResult, baseline?: RunResult) => string;
}

export interface PerfRunOutput {
  result: RunResult;
  files: string[];
  passed: boolean;
}

interface Endpoints {
  kubeconfig: string | undefined;
  metricsUrl: string | undefined;
  pprofUrl: string | undefined;
  etcdUrl: string | undefined;
  /** the lab's API server audit log: the ground truth of each object's last step */
  auditLog: string | undefined;
}

/** "auto" means the lab operator's endpoint, which only exists with --lab. */
async function endpoints(options: PerfRunOptions): Promise<Endpoints> {
  const metrics = options.profile.spec.observe.metrics;
  const pprof = options.profile.spec.pprof?.target;
  if (!options.lab) {
    if (metrics === 'auto') {
      options.onWarning?.(
        'observe.metrics is "auto" but --lab is not set: no controller metrics (set observe.metrics to a target, or none)',
      );
    }
    if (pprof === 'auto')
      options.onWarning?.('pprof.target is "auto" but --lab is not set: no profiles are captured');
    return {
      kubeconfig: options.kubeconfig,
      metricsUrl: metrics === 'auto' || metrics === 'none' ? undefined : metrics,
      pprofUrl: pprof === 'auto' ? undefined : pprof,
      etcdUrl: options.etcdMetrics,
      auditLog: undefined,
    };
  }
  const { labUp } = await import('../lab/lab.js');
  const up = await labUp({ env: options.env, signal: options.signal }, (line) =>
    options.onInfo?.(`lab: ${line}`),
  );
  if (!up.alreadyRunning) options.onInfo?.(`lab up in ${up.seconds.toFixed(1)}s`);
  const { ports, kubeconfig } = up.state;
  return {
    kubeconfig,
    metricsUrl:
      metrics === 'none'
        ? undefined
        : metrics === 'auto'
          ? `http://127.0.0.1:${ports.metrics}/metrics`
          : metrics,
    pprofUrl: pprof === 'auto' ? `http://127.0.0.1:${ports.pprof}` : pprof,
    // etcd serves /metrics on its client URL too; it is read beside the API server's, not without it
    etcdUrl:
      options.etcdMetrics ??
      (options.apiserverMetrics ? `http://127.0.0.1:${ports.etcd}/metrics` : undefined),
    auditLog: labAuditLog(up.state.dir),
  };
}

async function metricsTargets(
  url: string | undefined,
  options: PerfRunOptions,
): Promise<Target[] | undefined> {
  if (!url) return undefined;
  const { resolveTargets } = await import('../observe/target.js');
  return resolveTargets(url, {
    namespace: 'default',
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    connect: async () => {
      const { connect } = await import('../kube/connect.js');
      return connect({ kubeconfig: options.kubeconfig, context: options.context, env: options.env });
    },
  });
}

/**
 * A profile's whole run: (lab) → apply with observers → (stress steps) → tune → gates → reports.
 * Prints nothing; returns the RunResult, the files written, and whether every gate passed.
 */
export async function perfRun(options: PerfRunOptions): Promise<PerfRunOutput> {
  const { spec } = options.profile;
  if (options.shard) assertShardable(options.profile);
  // the controller is the same for every shard: only shard 0 scrapes and profiles it
  const observer = !options.shard || options.shard.index === 0;
  const gates: Gate[] = [...options.profile.gates, ...options.extraGates];
  const sloGate = spec.type === 'stress' ? options.profile.slo : undefined;
  if (spec.type === 'stress' && !spec.stress)
    throw inputError(`profile ${options.profile.name}: type stress needs a stress section`, {
      location: { file: options.profile.file },
    });
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const where = await endpoints(options);
  const kubeconfig = where.kubeconfig ?? options.kubeconfig;
  const targets = observer ? await metricsTargets(where.metricsUrl, { ...options, kubeconfig }) : undefined;
  const pprofTargets = observer
    ? await metricsTargets(where.pprofUrl, { ...options, kubeconfig })
    : undefined;
  const { apiserverObserve } = await import('../observe/apiserver/options.js');
  const apiserverMetrics = observer
    ? await apiserverObserve({
        enabled: options.apiserverMetrics,
        etcdUrl: where.etcdUrl,
        intervalMs: spec.observe.interval,
        onWarning: options.onWarning,
      })
    : undefined;
  const captured: NonNullable<RunResult['profiles']> = [];
  const runId = options.runId ?? newRunId();
  const load =
    spec.load.qps !== undefined
      ? {
          mode: 'open' as const,
          rate: spec.load.qps,
          burst: spec.load.burst ?? defaultBurst(spec.load.qps),
        }
      : { mode: 'closed' as const, concurrency: spec.load.concurrency ?? 32 };
  const runOnce = async (
    count: number | undefined,
    mode: typeof load,
    id: string,
    lifecycleOf?: (plan: ScenarioPlan) => Lifecycle,
  ) => {
    const prepared = await prepareScenario({
      scenario: options.profile.scenario,
      crdFiles: [],
      count,
      namespaces: options.namespaces,
      runId: id,
      shard: options.shard,
    });
    // checks the phases against the scenario before anything is created
    const lifecycle = lifecycleOf?.(prepared.plan);
    // the profile's own run (not a stress step) has the phases, and captures profiles at its peak
    const capture = lifecycle !== undefined;
    let peak: Promise<void> | undefined;
    const onProgress = (progress: ApplyProgress) => {
      options.onProgress?.(progress);
      // "at peak": half of the objects started, while the controller works through them
      if (capture && !peak && pprofTargets && progress.started >= progress.planned / 2) {
        peak = captureAtPeak(pprofTargets, options, captured);
      }
    };
    const { result } = await applyRun({
      prepared,
      kubeconfig,
      context: options.context,
      load: mode,
      wait: true,
      timeoutMs: spec.timeout,
      cleanup: true,
      reuseRunId: options.reuseRunId,
      signal: options.signal,
      env: options.env,
      metrics: targets ? { targets, intervalMs: spec.observe.interval } : undefined,
      apiserverMetrics,
      auditLog: where.auditLog,
      lifecycle: lifecycle?.hooks(),
      ...(options.onPhase ? { onPhase: options.onPhase } : {}),
      onProgress,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.onInfo ? { onInfo: options.onInfo } : {}),
    });
    await peak;
    if (lifecycle) {
      result.phases.push(...lifecycle.entries);
      if (lifecycle.webhook) {
        result.webhook = lifecycle.webhook.webhook;
        result.phases.push(...lifecycle.webhook.phases);
        result.methods = { ...result.methods, ...lifecycle.webhook.methods };
      }
      result.phases.sort((a, b) => a.start.localeCompare(b.start));
    }
    return result;
  };
  const webhookSpec = options.profile.phases.find((phase) => phase.type === 'webhook');
  const webhookPhase = webhookSpec
    ? await prepareWebhookPhase({
        spec: webhookSpec,
        scenario: options.profile.scenario,
        runId,
        shard: options.shard,
        kube: { kubeconfig, context: options.context, env: options.env },
        onWarning: options.onWarning,
      })
    : undefined;
  const lifecycleModule = await import('./lifecycle.js');
  let result: RunResult;
  try {
    if (sloGate && spec.stress) {
      const steps: NonNullable<RunResult['stress']>['steps'] = [];
      let last: RunResult | undefined;
      let knee: number | null = null;
      for (const [i, rate] of spec.stress.rates.entries()) {
        if (options.signal.aborted) break;
        options.onInfo?.(`stress step ${i + 1}/${spec.stress.rates.length}: ${rate}/s`);
        const step = await runOnce(
          Math.max(1, Math.round(rate * spec.stress.stepSeconds)),
          { mode: 'open', rate, burst: spec.load.burst ?? defaultBurst(rate) },
          `${runId}-s${i}`,
        );
        const verdict = evaluateGate(sloGate, step);
        steps.push({
          rate,
          objects: step.scenario.objects,
          readyP99Ms: step.apply?.latency.timeToReady.p99 ?? 0,
          achievedRate: step.apply?.achievedRate ?? 0,
          failed: (step.apply?.counts.failed ?? 0) + (step.apply?.counts.timedOut ?? 0),
          metSlo: verdict.passed,
        });
        last = step;
        if (!verdict.passed) break;
        knee = rate;
      }
      if (!last) throw inputError('the stress profile ran no step');
      result = { ...last, runId, stress: { slo: spec.stress.slo, steps, knee } };
    } else {
      result = await runOnce(options.count ?? spec.count, load, runId, (plan) => {
        const { Lifecycle } = lifecycleModule;
        return new Lifecycle({
          phases: options.profile.phases,
          plan,
          profile: { name: options.profile.name, file: options.profile.file },
          webhook: webhookPhase,
          signal: options.signal,
          onPhase: options.onPhase,
        });
      });
    }
  } finally {
    const etcd = apiserverMetrics?.etcd ? [apiserverMetrics.etcd] : [];
    await Promise.all([...(targets ?? []), ...(pprofTargets ?? []), ...etcd].map((target) => target.close()));
  }
  result.profile = { name: options.profile.name, file: options.profile.file, kind: spec.type };
  if (captured.length > 0) result.profiles = captured;

  // a shard's signals describe the whole controller but its load only a part: tune the merged run
  if (spec.tune && !options.shard && result.observe?.targets.some((t) => t.signals)) {
    options.onPhase?.('tune');
    try {
      result.tune = await tuneRun(result, kubeconfig, options);
    } catch (error) {
      options.onWarning?.(`no tuning recommendation: ${(error as Error).message}`);
    }
  }

  const verdicts: GateResult[] = gates.map((gate) => evaluateGate(gate, result));
  if (options.baseline) verdicts.push(...baselineGates(result, options.baseline, options.maxRegression));
  result.gates = verdicts;
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  result.overhead = { cpuSeconds, wallSeconds, share: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0 };
  result.endedAt = new Date().toISOString();
  result.methods.overhead =
    "vitictl's own user+system CPU time (process.cpuUsage) over the run's wall time: the time it was busy rather than waiting on the cluster";

  const files = await writeReports(result, options);
  if (options.resultConfigMap) {
    const { publishResult } = await import('./publish.js');
    const where = await publishResult(result, {
      ...options.resultConfigMap,
      kubeconfig,
      context: options.context,
      env: options.env,
    });
    files.push(`configmap ${where}`);
  }
  return { result, files, passed: verdicts.every((gate) => gate.passed) && !result.interrupted };
}

async function tuneRun(result: RunResult, kubeconfig: string | undefined, options: PerfRunOptions) {
  const { tune } = await import('../tune/tune.js');
  const { parsePerformanceYaml } = await import('../tune/performance-config.js');
  const { readLivePerformanceYaml } = await import('../tune/apply-config.js');
  const { connect } = await import('../kube/connect.js');
  const { KubeRest } = await import('../kube/rest.js');
  const rest = await KubeRest.create(
    await connect({ kubeconfig, context: options.context, env: options.env }),
    { connections: 2 },
  );
  try {
    const live = await readLivePerformanceYaml(rest, 'vitistack-system', 'vitistack-performance-config');
    return tune({
      run: result,
      current:
        live === undefined
          ? undefined
          : parsePerformanceYaml(live, 'configmap vitistack-system/vitistack-performance-config'),
      currentSource:
        live === undefined
          ? 'unknown (no vitistack-system/vitistack-performance-config)'
          : 'live ConfigMap vitistack-system/vitistack-performance-config',
      strategy: 'balanced',
    });
  } finally {
    await rest.close();
  }
}

/** run.json, report.md, junit.xml (and report.html) into outDir, atomically; report.md also to $GITHUB_STEP_SUMMARY. */
export async function writeReports(
  result: RunResult,
  options: Pick<PerfRunOptions, 'outDir' | 'env' | 'renderHtml' | 'baseline'>,
): Promise<string[]> {
  await ensureOutDir(options.outDir, '--out-dir');
  const outputs: Array<[string, string]> = [
    ['run.json', `${JSON.stringify(result, null, 2)}\n`],
    ['report.md', renderMarkdown(result)],
    ['junit.xml', renderJunit(result)],
  ];
  if (options.renderHtml) outputs.push(['report.html', options.renderHtml(result, options.baseline)]);
  const files: string[] = [];
  for (const [name, text] of outputs) {
    const file = join(options.outDir, name);
    await writeFileAtomically(file, (stream) => writeChunks(stream, [text]));
    files.push(file);
  }
  const summary = options.env.GITHUB_STEP_SUMMARY;
  if (summary) await appendFile(summary, outputs[1]![1]);
  return files;
}

/** Capture the profile's pprof kinds once, one after another (one CPU profile per process at a time). */
async function captureAtPeak(
  targets: Target[],
  options: PerfRunOptions,
  into: NonNullable<RunResult['profiles']>,
): Promise<void> {
  const pprof = options.profile.spec.pprof;
  if (!pprof) return;
  const { captureProfile } = await import('../observe/pprof/capture.js');
  for (const target of targets) {
    for (const profile of pprof.profiles) {
      try {
        const result = await captureProfile(target, {
          profile,
          seconds: profile === 'cpu' ? pprof.seconds : undefined,
          outDir: join(options.outDir, 'profiles'),
          signal: options.signal,
        });
        into.push({ target: result.target, profile, file: result.file, bytes: result.bytes });
        for (const note of result.notes) options.onWarning?.(`${profile} profile: ${note}`);
      } catch (error) {
        options.onWarning?.(
          `could not capture the ${profile} profile of ${target.name}: ${(error as Error).message}`,
        );
      }
    }
  }
}
