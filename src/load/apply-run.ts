import { inputError, interruptedError, VitictlError } from '../errors.js';
import { type CleanupOptions, cleanupRun } from '../kube/cleanup.js';
import { connect, type KubeConnection } from '../kube/connect.js';
import type { ApiResource } from '../kube/discovery.js';
import { preflight } from '../kube/preflight.js';
import { KubeRest } from '../kube/rest.js';
import type { ApiServerObserve, ApiServerScraping } from '../observe/apiserver/scrape.js';
import { windowFrom } from '../observe/apiserver/signals.js';
import { auditLogOffset, groundTruth, rowKey } from '../observe/audit/ground-truth.js';
import type { TargetStore } from '../observe/metrics/store.js';
import { apiServerTarget, type Target } from '../observe/target.js';
import { phaseRecorder } from '../report/phases.js';
import { METHODS, RUN_RESULT_VERSION, type RunResult } from '../report/run-result.js';
import { type CleanupResult, cleanupIncomplete } from '../report/sections/cleanup.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import type { PreparedScenario } from '../scenario/prepare.js';
import { rateShare, shardLabelValue, shareOf } from '../scenario/shard.js';
import { formatBytes, MiB } from '../util/read-input.js';
import { packageVersion } from '../util/version.js';
import { type ApplyProgress, type LoadMode, runApply, type TimelineRow } from './apply-engine.js';
import { createNamespaces } from './namespaces.js';

export interface ApplyRunOptions {
  prepared: PreparedScenario;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  load: LoadMode;
  wait: boolean;
  timeoutMs?: number | undefined;
  cleanup: boolean;
  /** objects may already carry the run id (explicitly adding to an earlier run); refused otherwise */
  reuseRunId?: boolean | undefined;
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onPhase?: (phase: string) => void;
  onProgress?: (progress: ApplyProgress) => void;
  onWarning?: (message: string) => void;
  onInfo?: (message: string) => void;
  /** scrape these alongside the load (before, every interval, after) */
  metrics?: { targets: Target[]; intervalMs: number; maxBytes?: number } | undefined;
  /** scrape the API server's /metrics with the kubeconfig's credentials (and etcd's) beside the load */
  apiserverMetrics?: Omit<ApiServerObserve, 'apiserver'> | undefined;
  /** the API server's audit log (JSON lines): split each object's last step at the server */
  auditLog?: string | undefined;
  /** perf run's other phases: alongside the creates, and after them before cleanup, while the scrapes go on */
  lifecycle?: ApplyLifecycle | undefined;
}

export interface LifecycleContext {
  connection: KubeConnection;
  /** the scenario's kinds as the API server serves them, by apiVersion/kind */
  resources: Map<string, ApiResource>;
}

export interface ApplyLifecycle {
  /** started with the creates; `createsEnded` settles when they have ended */
  alongside(context: LifecycleContext, createsEnded: Promise<void>): Promise<void>;
  /** after the creates, unless the run was interrupted */
  after(context: LifecycleContext): Promise<void>;
}

/**
 * What one apply process may spend tracking objects, and what one costs: 424–503 bytes of heap
 * measured (bench/tracking-memory.ts), rounded up. The bound also keeps the timeout sweep over the
 * pending objects short (80 ms per pass at 1,000,000), so it cannot starve the watches.
 */
export const TRACKING_BUDGET_BYTES = 512 * MiB;
export const TRACKED_OBJECT_BYTES = 512;
export const MAX_TRACKED_OBJECTS = TRACKING_BUDGET_BYTES / TRACKED_OBJECT_BYTES;

/** Refuse, before connecting, a plan whose tracking would not fit the budget: shards split it. */
export function assertTrackable(plan: ScenarioPlan): void {
  if (plan.totalObjects <= MAX_TRACKED_OBJECTS) return;
  const count = (n: number) => n.toLocaleString('en-US');
  const shards = Math.ceil((plan.shard?.scenarioObjects ?? plan.totalObjects) / MAX_TRACKED_OBJECTS);
  throw inputError(
    `${count(plan.totalObjects)} objects${plan.shard ? ' in this shard' : ''}: tracking each until ready takes about ${formatBytes(plan.totalObjects * TRACKED_OBJECT_BYTES)}, more than the ${formatBytes(TRACKING_BUDGET_BYTES)} one apply may use (at most ${count(MAX_TRACKED_OBJECTS)} objects)`,
    {
      hint: `split the run over at least ${shards} processes sharing one run id: --run-id ID --shard i/${shards} for i = 0 … ${shards - 1}`,
    },
  );
}

/** A shard runs its share of the whole run's rate, burst or concurrency (the flags describe the whole run). */
export function shardLoad(load: LoadMode, plan: ScenarioPlan): LoadMode {
  if (!plan.shard) return load;
  return load.mode === 'open'
    ? { mode: 'open', rate: rateShare(load.rate, plan), burst: shareOf(load.burst, plan) }
    : { mode: 'closed', concurrency: shareOf(load.concurrency, plan) };
}

/** connect → preflight → create and time every object → cleanup → RunResult. Prints nothing. */
export async function applyRun(
  options: ApplyRunOptions,
): Promise<{ result: RunResult; timelines: () => Generator<TimelineRow> }> {
  const { plan, loaded } = options.prepared;
  assertTrackable(plan);
  const { phases, phase } = phaseRecorder(options.onPhase);
  const startedAt = new Date();
  const auditOffset = options.auditLog ? await auditLogOffset(options.auditLog) : undefined;
  const connection = await connect({
    kubeconfig: options.kubeconfig,
    context: options.context,
    env: options.env ?? process.env,
  });
  const load = shardLoad(options.load, plan);
  const connections = load.mode === 'closed' ? load.concurrency + 8 : 64;
  const rest = await KubeRest.create(connection, { connections });
  // a readiness watch holds its connection for the whole run, and there is one per namespace when RBAC
  // allows no cluster-wide watch: they get a pool of their own, unbounded, and the creates keep theirs
  const watchRest = await KubeRest.create(connection, { connections: null });
  const metricsRest = options.apiserverMetrics
    ? await KubeRest.create(connection, { connections: 2 })
    : undefined;
  let apiScraping: ApiServerScraping | undefined;
  // filled as each is created, so a run that fails part way still removes them
  const createdNamespaces: string[] = [];
  if (rest.insecure)
    options.onWarning?.(
      'the kubeconfig disables TLS verification for this cluster (insecure-skip-tls-verify)',
    );
  try {
    const kinds = plan.sets.map((set) => ({ apiVersion: set.spec.apiVersion, kind: set.spec.kind }));
    const checked = await phase('preflight', () =>
      preflight(
        rest,
        {
          kinds,
          namespaces: plan.namespaces,
          createNamespaces: plan.createNamespaces,
          cleanup: options.cleanup,
          run: { id: plan.runId, labelSelector: plan.labelSelector, reuse: options.reuseRunId === true },
        },
        options.signal,
      ),
    ).catch((error: unknown) => {
      // what an interrupted request says (aborted, gave up) is not why the run ended
      throw options.signal.aborted
        ? interruptedError('interrupted during preflight: nothing was created', options.signal)
        : error;
    });
    const scraping = options.metrics ? await startScraping(options.metrics, options.signal) : undefined;
    if (metricsRest && options.apiserverMetrics) {
      const { startApiServerScraping } = await import('../observe/apiserver/scrape.js');
      apiScraping = startApiServerScraping({
        ...options.apiserverMetrics,
        apiserver: apiServerTarget(metricsRest),
      });
      await apiScraping.started();
    }
    const lifecycleContext = { connection, resources: checked.resources };
    let createsEnded = () => {};
    const alongside = options.lifecycle?.alongside(
      lifecycleContext,
      new Promise<void>((resolve) => (createsEnded = resolve)),
    );
    // awaited after the creates; a failure meanwhile must not go unhandled
    alongside?.catch(() => {});
    const cleanupOptions: CleanupOptions = {
      runId: plan.runId,
      shard: plan.shard ? shardLabelValue(plan.shard) : undefined,
      resources: plan.sets.map((set) => checked.resources.get(`${set.spec.apiVersion}/${set.spec.kind}`)!),
      namespaces: checked.watchScope === 'namespaces' ? plan.namespaces : undefined,
      createdNamespaces,
      ...(options.onInfo ? { onProgress: options.onInfo } : {}),
    };
    // until the first object create, the run has made only its namespaces: a failure then (another
    // run with this id met in a namespace) must not delete, by the label, objects of that other run
    let objectsStarted = false;
    const output = await phase('apply', async () => {
      await createNamespaces(rest, plan, createdNamespaces, options.reuseRunId === true, options.signal);
      objectsStarted = true;
      return runApply({
        plan,
        rest,
        watchRest,
        resources: checked.resources,
        watchScope: checked.watchScope,
        load,
        wait: options.wait,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    })
      .catch(async (error: unknown) => {
        throw await cleanedUpAfter(
          error,
          options.cleanup
            ? () =>
                cleanupRun(rest, {
                  ...cleanupOptions,
                  ...(objectsStarted ? {} : { resources: [] }),
                  retryMs: CLEANUP_AFTER_FAILURE_RETRY_MS,
                })
            : undefined,
          plan.runId,
        );
      })
      .finally(() => createsEnded());
    // whatever fails after the creates (a phase, the audit log, a scrape's end), the cleanup below
    // still removes what the run created; the failure is reported after it
    const afterCreates = await (async () => {
      await alongside;
      if (options.lifecycle && !output.interrupted && !options.signal.aborted)
        await options.lifecycle.after(lifecycleContext);
      const truth =
        options.auditLog && auditOffset !== undefined
          ? await phase('ground truth', () =>
              groundTruth(
                options.auditLog!,
                auditOffset,
                output.timelines(),
                (kind) =>
                  plan.sets
                    .map((set) => checked.resources.get(`${set.spec.apiVersion}/${set.spec.kind}`))
                    .find((resource) => resource?.kind === kind)?.plural,
              ),
            )
          : undefined;
      const observe = scraping
        ? await scraping.finish(output.creationStart, new Date(), options.metrics!.intervalMs)
        : undefined;
      const apiserver = await apiScraping?.finish(output.creationStart);
      for (const warning of apiserver?.warnings ?? []) options.onWarning?.(warning);
      return { truth, observe, apiserver };
    })().then(
      (read) => ({ read }),
      (error: unknown) => ({ error }),
    );
    let cleanup: RunResult['cleanup'];
    if (options.cleanup) {
      cleanup = await phase('cleanup', () => cleanupRun(rest, cleanupOptions));
    }
    if ('error' in afterCreates) throw withCleanupHint(afterCreates.error, cleanup, plan.runId);
    const { truth, observe, apiserver } = afterCreates.read;
    const result: RunResult = {
      schemaVersion: RUN_RESULT_VERSION,
      kind: 'vitictl.io/RunResult',
      tool: { name: 'vitictl', version: packageVersion() },
      runId: plan.runId,
      scenario: { name: plan.name, file: loaded.file, seed: plan.seed, objects: plan.totalObjects },
      ...(plan.shard ? { shard: plan.shard } : {}),
      target: {
        server: rest.server,
        context: connection.context,
        kubernetesVersion: checked.serverVersion,
        insecureSkipTlsVerify: rest.insecure,
      },
      startedAt: startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      interrupted: output.interrupted || options.signal.aborted,
      phases,
      apply: truth ? { ...output.apply, groundTruth: truth.section } : output.apply,
      ...(cleanup ? { cleanup } : {}),
      ...(observe ? { observe } : {}),
      ...(apiserver?.section ? { apiserver: apiserver.section } : {}),
      methods: { ...METHODS },
    };
    return { result, timelines: () => withCommitTimes(output.timelines(), truth?.committed) };
  } finally {
    await apiScraping?.finish(startedAt);
    await Promise.all([rest.close(), watchRest.close(), metricsRest?.close()]);
  }
}

/** How long the cleanup after a failed apply keeps retrying: the failure is often the API server gone. */
const CLEANUP_AFTER_FAILURE_RETRY_MS = 10_000;

/**
 * The apply failed outright (an API server that stopped answering while the watches opened, a
 * template that failed at object n): remove what it had created before the error is reported.
 */
async function cleanedUpAfter(
  error: unknown,
  cleanup: (() => Promise<CleanupResult>) | undefined,
  runId: string,
): Promise<unknown> {
  if (!cleanup) return withCleanupHint(error, undefined, runId);
  try {
    return withCleanupHint(error, await cleanup(), runId);
  } catch (cleanupError) {
    return withCleanupHint(error, cleanupError as Error, runId);
  }
}

/**
 * A run's error, with a hint to finish the cleanup when what the run created may remain: kept
 * (--keep), a cleanup that could not finish, or one that failed.
 */
function withCleanupHint(error: unknown, cleanup: CleanupResult | Error | undefined, runId: string): unknown {
  const remove = `vitictl cleanup --run-id ${runId}`;
  let left: string;
  if (cleanup === undefined) left = `with --keep, what run ${runId} created stays; remove it with ${remove}`;
  else if (cleanup instanceof Error)
    left = `the cleanup after it failed (${cleanup.message}); retry with ${remove}`;
  else if (cleanupIncomplete(cleanup))
    left = `the cleanup after it could not finish (${cleanup.problems[0] ?? `${cleanup.failed} deletes failed`}); retry with ${remove}`;
  else return error;
  if (!(error instanceof VitictlError)) return error;
  return new VitictlError(error.kind, error.message, {
    hint: error.hint ? `${error.hint}; ${left}` : left,
    ...(error.location ? { location: error.location } : {}),
    cause: error,
  });
}

/** Each controller's workqueue depth at every scrape from `from` on (seconds since the load began). */
function queueDepthSeries(store: TargetStore, from: number, start: number) {
  return store
    .columns('workqueue_depth')
    .filter((column) => column.labels.name !== undefined)
    .map((column) => ({
      controller: column.labels.name!,
      points: column.values
        .toArray()
        .flatMap(
          (depth, i): Array<[number, number]> =>
            i >= from && !Number.isNaN(depth)
              ? [[Math.round(((store.times[i] as number) - start) / 10) / 100, depth]]
              : [],
        ),
    }));
}

/**
 * The process at every scrape from `from` on (seconds since the load began): RSS, live heap and the
 * CPU used since the previous scrape, for fitting memory against cached objects and CPU against rate.
 */
function processSeries(store: TargetStore, from: number, start: number) {
  const heapFamily = store.has('go_gc_heap_live_bytes')
    ? 'go_gc_heap_live_bytes'
    : 'go_memstats_heap_alloc_bytes';
  const rss = store.gaugeSeries('process_resident_memory_bytes');
  const heap = store.gaugeSeries(heapFamily);
  const at = (values: number[], i: number) => {
    const v = values[i];
    return v === undefined || Number.isNaN(v) ? null : v;
  };
  const points = [];
  for (let i = from; i < store.size; i++) {
    const dt = i > 0 ? store.seconds(i - 1, i) : 0;
    points.push({
      t: Math.round(((store.times[i] as number) - start) / 10) / 100,
      rssBytes: at(rss, i),
      heapLiveBytes: at(heap, i),
      cpuCores:
        i > from && dt > 0 && store.has('process_cpu_seconds_total')
          ? store.increase('process_cpu_seconds_total', undefined, i - 1, i) / dt
          : null,
    });
  }
  return points;
}

/** The scraper runs beside the load; signals cover the scrapes from the first create on. */
/**
 * Scrapes the controller's targets until finish(); an interrupt (`interrupt`) abandons the scrapes in
 * flight and takes no last one, so a target gone silent does not hold the cleanup.
 */
async function startScraping(
  {
    targets,
    intervalMs,
    maxBytes,
  }: {
    targets: Target[];
    intervalMs: number;
    maxBytes?: number;
  },
  interrupt: AbortSignal,
) {
  const { scrapeTargets } = await import('../observe/metrics/scraper.js');
  const { computeSignals } = await import('../observe/metrics/signals.js');
  const stop = new AbortController();
  const running = scrapeTargets(targets, {
    intervalMs,
    signal: stop.signal,
    interrupt,
    ...(maxBytes ? { maxBytes } : {}),
  });
  return {
    async finish(
      windowStart: Date,
      windowEnd: Date,
      interval: number,
    ): Promise<NonNullable<RunResult['observe']>> {
      stop.abort();
      const result = await running;
      return {
        intervalSeconds: interval / 1000,
        window: { start: windowStart.toISOString(), end: windowEnd.toISOString() },
        targets: result.stores.map((store) => {
          // the last scrape before the load is the window's start, so rates cover the load alone
          const from = windowFrom(store, windowStart.getTime());
          const signals = store.size - from >= 2 ? computeSignals(store, from, store.size - 1) : null;
          const failures = result.failures.filter((failure) => failure.target === store.target);
          const last = failures.at(-1);
          return {
            target: store.target,
            scrapes: store.size,
            failures: failures.length,
            ...(last
              ? {
                  lastFailure: {
                    at: last.at,
                    kind: last.kind,
                    ...(last.status === undefined ? {} : { status: last.status }),
                    reason: last.reason,
                    hint: last.hint,
                  },
                }
              : {}),
            signals,
            queueDepth: queueDepthSeries(store, from, windowStart.getTime()),
            process: processSeries(store, from, windowStart.getTime()),
          };
        }),
      };
    },
  };
}

function* withCommitTimes(
  rows: Generator<TimelineRow>,
  committed: Map<string, number> | undefined,
): Generator<TimelineRow> {
  for (const row of rows) {
    const at = committed?.get(rowKey(row));
    yield at === undefined ? row : { ...row, committed: Math.round(at * 1000) / 1000 };
  }
}
