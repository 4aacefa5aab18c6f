import { z } from 'zod';
import { formatPath } from '../config/zod-errors.js';
import { inputError, type SourceLocation } from '../errors.js';
import { redactUrl } from '../util/redact-url.js';
import { decodeHistogram, latencySummarySchema } from './histogram.js';
import { runResultProblem } from './run-checks.js';
import { apiserverSectionSchema } from './sections/apiserver.js';
import { cleanupResultSchema } from './sections/cleanup.js';
import { pacingSchema } from './sections/pacing.js';
import { phaseLoadSchema } from './sections/phase-load.js';
import { readLoadSchema } from './sections/read-load.js';
import { signalsSchema } from './sections/signals.js';
import { tuneResultSchema } from './sections/tune.js';
import { webhookResultSchema } from './sections/webhook.js';

/**
 * RunResult: the one contract between the engines, the tuner, the gates and the reports. Versioned;
 * every number in it was measured, and `methods` says how. One file on purpose (~430 lines): the
 * top-level schema, its version-1 reader and its checks read as one contract; its sections live in
 * sections/.
 */

/** 2: typed signals, tune and webhook sections; every latency summary with p9999. Version 1 files are read too. */
export const RUN_RESULT_VERSION = 2;

/** A soak run's result (per-second series, scrapes) is a few MB; 64 MiB is far beyond any real one. */
export const MAX_RUN_FILE_BYTES = 64 * 2 ** 20;

const window = z.object({ start: z.string(), end: z.string(), seconds: z.number() });

export const objectStateSchema = z.enum([
  'ready',
  'failed',
  'timedOut',
  'notWaited',
  'interrupted',
  'notStarted',
]);
export type ObjectState = z.infer<typeof objectStateSchema>;

const counts = z.object({
  total: z.number().int(),
  ready: z.number().int(),
  failed: z.number().int(),
  timedOut: z.number().int(),
  notWaited: z.number().int(),
  interrupted: z.number().int(),
  notStarted: z.number().int(),
  /** objects the API server acknowledged (201, or found ours after a retried create) */
  created: z.number().int(),
});
export type ObjectCounts = z.infer<typeof counts>;

export const setResultSchema = z.object({
  set: z.string(),
  apiVersion: z.string(),
  kind: z.string(),
  plural: z.string(),
  namespaced: z.boolean(),
  waited: z.boolean(),
  readiness: z.string(),
  counts,
  latency: z.object({
    create: latencySummarySchema,
    timeToReady: latencySummarySchema,
    serverTimeToReady: latencySummarySchema,
  }),
});
export type SetResult = z.infer<typeof setResultSchema>;

/**
 * Each ready object's last step, split in three by the API server's audit log: the status write that
 * made it ready completes at the server (audit stageTimestamp) → vitictl reads the watch event →
 * vitictl marks the object ready.
 */
export const groundTruthSchema = z.object({
  /** the audit log read */
  source: z.string(),
  /** ready objects whose ready write was found in the log, and those that were not */
  matched: z.number().int(),
  unmatched: z.number().int(),
  /** events read before the server logged the write's completion (timed as 1 µs: the log stamps late) */
  readBeforeLogged: z.number().int(),
  commitToRead: latencySummarySchema,
  readToMarked: latencySummarySchema,
  commitToMarked: latencySummarySchema,
});
export type GroundTruth = z.infer<typeof groundTruthSchema>;

export const applyResultSchema = z.object({
  mode: z.enum(['open', 'closed']),
  requestedRate: z.number().nullable(),
  burst: z.number().nullable(),
  concurrency: z.number().nullable(),
  /** starts per second between the first and the last start */
  achievedRate: z.number(),
  /** acknowledged creates per second, first send to last acknowledgement */
  createThroughput: z.number(),
  /**
   * the rate the cluster completed creates at (1 / the slope of acknowledgement time over the creates
   * in send order); null with fewer than two (and in files written before it was recorded)
   */
  completedRate: z.number().nullable().optional(),
  maxStartsIn100ms: z.number().int(),
  /** open loop: starts that left more than 10 ms after their intended time (the generator could not keep up) */
  lateStarts: z.number().int(),
  /** open loop: times the generator fell more than `burst` starts behind and the schedule moved on
   * (each one is rate lost for good: raise --burst, or the machine is too busy) */
  scheduleSlips: z.number().int().default(0),
  /** open loop only */
  pacing: pacingSchema.optional(),
  /** connections opened before the first create (files written before it was recorded: absent) */
  warmConnections: z.number().int().optional(),
  creation: window,
  counts,
  sets: z.array(setResultSchema),
  latency: z.object({
    create: latencySummarySchema,
    timeToReady: latencySummarySchema,
    serverTimeToReady: latencySummarySchema,
    watchLag: latencySummarySchema,
    /** µs: vitictl's own part, from reading a live watch event's bytes to the object marked ready */
    ownLag: latencySummarySchema.optional(),
  }),
  /** the time to ready split at the API server's audit log (apply --audit-log) */
  groundTruth: groundTruthSchema.optional(),
  /** HTTP status codes and network failures seen on creates, retried ones included */
  errors: z.record(z.string(), z.number().int()),
  retries: z.number().int(),
  /** creates that needed more than one attempt, the most any needed, and the time spent throttled (429) */
  attempts: z
    .object({
      retriedObjects: z.number().int(),
      maxAttempts: z.number().int(),
      throttledObjects: z.number().int(),
      throttledSeconds: z.number(),
    })
    .default({ retriedObjects: 0, maxAttempts: 0, throttledObjects: 0, throttledSeconds: 0 }),
  failures: z.array(
    z.object({
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string(),
      stage: z.enum(['create', 'ready']),
      reason: z.string(),
    }),
  ),
  failureReasons: z.record(z.string(), z.number().int()),
  /** per second since the first start: creates acknowledged and objects ready */
  series: z.array(z.object({ t: z.number(), created: z.number().int(), ready: z.number().int() })),
  watch: z.object({
    scope: z.enum(['cluster', 'namespaces']),
    watches: z.number().int(),
    reconnects: z.number().int(),
    relists: z.number().int(),
    /** objects first seen ready in a relist (after 410 Gone): their ready time is the relist time */
    readyFromRelist: z.number().int(),
    eventsBeforeAck: z.number().int(),
    gaps: z.array(
      z.object({
        resource: z.string(),
        start: z.string(),
        end: z.string(),
        seconds: z.number(),
        reason: z.string(),
      }),
    ),
  }),
});
export type ApplyResult = z.infer<typeof applyResultSchema>;

/** Controller signals scraped alongside the load, per target. */
export const observeResultSchema = z.object({
  intervalSeconds: z.number(),
  /** the load window the signals cover */
  window: z.object({ start: z.string(), end: z.string() }),
  targets: z.array(
    z.object({
      target: z.string(),
      /** scrapes that succeeded */
      scrapes: z.number().int(),
      /** scrapes that failed */
      failures: z.number().int(),
      /** the last failed scrape's cause (absent in files written before it was recorded) */
      lastFailure: z
        .object({
          at: z.string(),
          kind: z.enum(['http', 'connection', 'parse']),
          /** kind http: the status the target answered */
          status: z.number().int().optional(),
          reason: z.string(),
          hint: z.string(),
        })
        .optional(),
      signals: signalsSchema.nullable(),
      /** per scrape: each controller's workqueue depth, [seconds since the window's start, depth] */
      queueDepth: z
        .array(z.object({ controller: z.string(), points: z.array(z.tuple([z.number(), z.number()])) }))
        .optional(),
      /** per scrape: the process's RSS, live heap and CPU since the previous scrape (t: seconds since the window's start) */
      process: z
        .array(
          z.object({
            t: z.number(),
            rssBytes: z.number().nullable(),
            heapLiveBytes: z.number().nullable(),
            cpuCores: z.number().nullable(),
          }),
        )
        .optional(),
    }),
  ),
});
export type ObserveResult = z.infer<typeof observeResultSchema>;
export type ObserveTarget = ObserveResult['targets'][number];

export const gateResultSchema = z.object({
  /** as written, e.g. "ready.p99 < 30s" */
  gate: z.string(),
  metric: z.string(),
  op: z.string(),
  /** the threshold in the metric's unit */
  threshold: z.number(),
  /** the measured value in the metric's unit, null when the run did not measure it */
  value: z.number().nullable(),
  unit: z.string(),
  passed: z.boolean(),
  /** one line: "ready.p99 = 31.2s, 1.2s over 30s" */
  message: z.string(),
  /** baseline gates: the baseline value and the run-to-run noise (95% bootstrap interval half-widths) */
  baseline: z.object({ value: z.number(), noise: z.number(), allowedRegression: z.number() }).optional(),
});
export type GateResult = z.infer<typeof gateResultSchema>;

export const stressStepSchema = z.object({
  rate: z.number(),
  objects: z.number().int(),
  readyP99Ms: z.number(),
  achievedRate: z.number(),
  failed: z.number().int(),
  metSlo: z.boolean(),
});

export const runResultSchema = z.object({
  schemaVersion: z.literal(RUN_RESULT_VERSION),
  kind: z.literal('vitictl.io/RunResult'),
  tool: z.object({ name: z.literal('vitictl'), version: z.string() }),
  runId: z.string(),
  scenario: z.object({
    name: z.string(),
    file: z.string(),
    seed: z.number().int(),
    objects: z.number().int(),
  }),
  /** one shard of a split run (--shard i/N): `objects` above is this shard's, scenarioObjects the whole run's */
  shard: z
    .object({ index: z.number().int(), count: z.number().int(), scenarioObjects: z.number().int() })
    .optional(),
  /** a merged run (vitictl report merge): the shards it was made from */
  mergedFrom: z
    .array(z.object({ shard: z.number().int(), file: z.string(), runId: z.string(), startedAt: z.string() }))
    .optional(),
  target: z.object({
    server: z.string(),
    context: z.string(),
    kubernetesVersion: z.string(),
    insecureSkipTlsVerify: z.boolean(),
  }),
  startedAt: z.string(),
  endedAt: z.string(),
  interrupted: z.boolean(),
  phases: z.array(
    z.object({
      name: z.string(),
      start: z.string(),
      end: z.string(),
      seconds: z.number(),
      /** update, delete and churn phases: what they measured (absent on the other phases and in older files) */
      load: phaseLoadSchema.optional(),
      /** read phases: what they measured */
      read: readLoadSchema.optional(),
    }),
  ),
  apply: applyResultSchema.optional(),
  cleanup: cleanupResultSchema.optional(),
  observe: observeResultSchema.optional(),
  /** the API server's and etcd's own metrics over the load (apply and perf run scrape them by default) */
  apiserver: apiserverSectionSchema.optional(),
  /** perf run: the profile that drove this run */
  profile: z
    .object({
      name: z.string(),
      file: z.string(),
      kind: z.enum(['smoke', 'load', 'stress', 'soak', 'custom']),
    })
    .optional(),
  /** perf run: every gate and its verdict */
  gates: z.array(gateResultSchema).optional(),
  /** stress profiles: each rate step and the knee (the highest rate that met the SLO) */
  stress: z
    .object({ slo: z.string(), steps: z.array(stressStepSchema), knee: z.number().nullable() })
    .optional(),
  /** perf run: the tuning recommendation made from this run (vitictl tune's result) */
  tune: tuneResultSchema.optional(),
  /** perf run: profiles captured at peak load (files written beside the report) */
  profiles: z
    .array(z.object({ target: z.string(), profile: z.string(), file: z.string(), bytes: z.number().int() }))
    .optional(),
  /** webhook bench, or a perf run's webhook load */
  webhook: webhookResultSchema.optional(),
  /** the share of wall time the tool itself was busy (CPU), not waiting on the cluster */
  overhead: z.object({ cpuSeconds: z.number(), wallSeconds: z.number(), share: z.number() }).optional(),
  /** how each figure was measured, keyed like the figures */
  methods: z.record(z.string(), z.string()),
});
export type RunResult = z.infer<typeof runResultSchema>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Version 1 → 2 in place: ms latency summaries gain p9999 from their own histogram (one that does not
 * decode gets p999 here, and the consistency check then rejects the file, naming the histogram).
 */
function upgradeFromVersion1(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) upgradeFromVersion1(item);
    return;
  }
  if (!isRecord(node)) return;
  if (node.unit === 'ms' && typeof node.encoded === 'string' && node.p9999 === undefined) {
    try {
      node.p9999 = decodeHistogram({ encoded: node.encoded }).getValueAtPercentile(99.99) / 1000;
    } catch {
      node.p9999 = node.p999;
    }
    return;
  }
  for (const value of Object.values(node)) upgradeFromVersion1(value);
}

/** A RunResult read from somewhere (`where` names it in the error: a file, a ConfigMap), or exit 2. */
export function parseRunResult(raw: unknown, where: string, location?: SourceLocation): RunResult {
  // the location names the file already: no need to say it twice
  const subject = location?.file === where ? 'not' : `${where} is not`;
  if (isRecord(raw) && typeof raw.schemaVersion === 'number' && raw.schemaVersion > RUN_RESULT_VERSION) {
    throw inputError(
      `${where} is schemaVersion ${raw.schemaVersion}: this vitictl reads versions 1 to ${RUN_RESULT_VERSION}`,
      {
        location: { ...location, jsonPath: '$.schemaVersion' },
        hint: 'a newer vitictl wrote it (its tool.version): read it with that version or newer',
      },
    );
  }
  if (isRecord(raw) && raw.schemaVersion === 1) {
    upgradeFromVersion1(raw);
    raw.schemaVersion = RUN_RESULT_VERSION;
  }
  const parsed = runResultSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`${subject} a RunResult: ${issue?.message}`, {
      location: { ...location, jsonPath: issue?.path.length ? `$${formatPath(issue.path)}` : '$' },
      hint: 'pass a run.json written by vitictl perf run, apply --out or webhook bench --out',
    });
  }
  const problem = runResultProblem(parsed.data);
  if (problem) {
    throw inputError(`${subject} a consistent RunResult: ${problem.message}`, {
      location: { ...location, jsonPath: problem.path },
      hint: 'the file was edited or damaged: use the run.json vitictl wrote',
    });
  }
  // vitictl writes URLs redacted; a file from elsewhere must not make it show credentials
  const run = parsed.data;
  run.target.server = redactUrl(run.target.server);
  for (const observed of run.observe?.targets ?? []) observed.target = redactUrl(observed.target);
  for (const profile of run.profiles ?? []) profile.target = redactUrl(profile.target);
  return run;
}

export const METHODS = {
  'apply.latency.create':
    'client monotonic clock: request written → response received, per attempt that succeeded (µs HDR histogram)',
  'apply.latency.timeToReady':
    'client monotonic clock: create request sent (first attempt) → the watch event in which the readiness rule first held',
  'apply.latency.serverTimeToReady':
    "server clock, second precision: the Ready condition's lastTransitionTime (or the status write time in managedFields) − creationTimestamp",
  'apply.latency.watchLag':
    'client clock: the ADDED watch event for an object − the response to its create (events that came first are counted, not timed)',
  'apply.latency.ownLag':
    "client monotonic clock: the read of a live watch event's bytes → the object marked ready (JSON decode, readiness rule, bookkeeping)",
  'apply.groundTruth':
    "the API server's audit log (RequestResponse level, status writes): the write whose response carries the resourceVersion of the object's ready event; its stageTimestamp (µs, server clock) → the event read (client clock, same machine) → marked ready",
  'apply.achievedRate': '(starts − 1) / (last start − first start), starts on the client monotonic clock',
  'apply.completedRate':
    '1 / the least-squares slope of acknowledgement time over the acknowledged creates in send order, client monotonic clock: the rate the cluster kept up with (constant latency gives the send rate), at most the rate sent',
  'apply.maxStartsIn100ms': 'the most create starts in any sliding 100 ms window',
  'apply.pacing':
    "client monotonic clock: each open-loop start's send − its intended time (µs HDR histogram); a late stretch is a run of consecutive starts more than 5 ms late, counted once at its largest lateness; its CPU wait is the growth of the main thread's run-queue wait (/proc/thread-self/schedstat, Linux) from the last on-time start to the stretch's last start, capped at the stretch's largest lateness; its in-flight wait (inFlightWaitMs) is the time, over the same starts and capped the same way, the generator held a due start because inFlightLimit creates were unanswered",
  'apply.warmConnections':
    "GET /version that many times at once before the first create, each on a connection of its own, so no TLS handshake falls on a timed start: ⌈R × 50 ms⌉ for an open loop at R/s, the concurrency for a closed loop, at most the connections the creates' pool opens; the number that answered",
  'apply.errors': 'HTTP status of every create attempt that did not succeed, and network failures by class',
  'phases.load.done':
    'update: client monotonic clock, PATCH answered → the first watch event in which the readiness rule holds and the observed generation (status.observedGeneration, or the stated field) is at least the generation the PATCH produced; delete: DELETE answered → the DELETED watch event',
  'observe.queueDepth':
    "workqueue_depth{name=<controller>} as scraped (a gauge: the queue's length at each scrape), from the last scrape before the load on",
  'observe.scrapes':
    'every scrape of every target counted as succeeded or failed; a failure is an HTTP status other than 200, no answer (connection), or a body that is not an exposition (parse); the last one is kept with its cause',
  'observe.process':
    'process_resident_memory_bytes and go_gc_heap_live_bytes (go_memstats_heap_alloc_bytes when not served) as scraped; cpuCores = Δprocess_cpu_seconds_total / Δt since the previous scrape',
  'observe.signals':
    'Prometheus scrapes of the controller every interval during the load; rates from counter increases (resets handled), S̄ and W̄q as Δsum/Δcount, p95 by histogram_quantile on bucket deltas',
  apiserver:
    "the API server's /metrics scraped with the kubeconfig's credentials every metrics interval, from the last scrape before the first create to one after the load; counts are counter increases (a series first seen in the window counts from 0), p50/p99 are histogram_quantile on bucket deltas summed over the matching series; rates divide by the window's seconds",
  'apiserver.sli':
    'the API call latency SLIs over apiserver_request_sli_duration_seconds (apiserver_request_duration_seconds when not served), WATCH, CONNECT and proxy/log/exec/attach/portforward left out, resource requests only: mutating = POST/PUT/PATCH/DELETE (p99 ≤ 1s), reads = GET of one object (≤ 1s), LIST by scope namespace (≤ 5s) and cluster (≤ 30s); one p99 per class over its merged bucket deltas',
  'apiserver.flowControl':
    'API Priority and Fairness: apiserver_flowcontrol_rejected_requests_total increases by priority level and reason (the series appear at the first rejection: none served means none rejected), request wait p99 per priority level, seats in use as the max of apiserver_flowcontrol_current_executing_seats summed per priority level at each scrape',
  'apiserver.inflight': 'apiserver_current_inflight_requests per request kind: the max of the scraped values',
  'apiserver.etcd':
    "etcd_request_duration_seconds (every storage call, as the API server times it) p99; etcd's own etcd_disk_backend_commit_duration_seconds and etcd_disk_wal_fsync_duration_seconds p99 from its /metrics",
  'apiserver.objects':
    'apiserver_resource_objects (apiserver_storage_objects on older servers) at the last scrape: the API server refreshes it periodically, so it lags',
} as const;
