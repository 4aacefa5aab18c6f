import { formatMs } from '../util/duration.js';
import { maxOf } from '../util/extremes.js';
import {
  type LatencyStat,
  type LatencySummary,
  mergeSummaries,
  STAT_PERCENTILES,
  statMs,
} from './histogram.js';
import type { RunResult } from './run-result.js';
import type { PhaseLoad } from './sections/phase-load.js';
import type { ReadKind } from './sections/read-load.js';
import { busiestController } from './sections/signals.js';

/**
 * The one registry of what a RunResult measured, by name: gates (`ready.p99 < 30s`), baselines, report
 * comparison and every view read figures through it. A metric says its unit, how it is read, whether
 * more is better, and, when it is a percentile, the histogram it comes from (for its noise). One file
 * on purpose (~470 lines): the registry is a list to read top to bottom, and split it would be two.
 */

export type MetricUnit = 'ms' | '%' | '/s' | '' | '/min' | 'cores' | 'MiB';

export interface MetricDefinition {
  name: string;
  /** what it is, in words, for views and --help */
  label: string;
  unit: MetricUnit;
  higherIsBetter: boolean;
  /** the value in `unit`, or null when the run did not measure it */
  read(run: RunResult): number | null;
  /** percentile metrics: the histogram they are read from and the quantile (0–1) */
  histogram?: { pick(run: RunResult): LatencySummary | undefined; quantile: number };
  /** per-second counts whose spread is the metric's noise (rates) */
  series?(run: RunResult): number[];
  /** shown in before/after comparisons */
  compared: boolean;
}

const LATENCY_STATS: LatencyStat[] = ['p50', 'p90', 'p95', 'p99', 'p999', 'p9999', 'max', 'mean'];
const COMPARED_STATS: Record<string, LatencyStat[]> = {
  ready: ['p50', 'p90', 'p99', 'max'],
  create: ['p50', 'p99'],
  'server.ready': ['p99'],
  'watch.lag': ['p99'],
  webhook: ['p99'],
};

function latencyFamily(
  prefix: string,
  label: string,
  pick: (run: RunResult) => LatencySummary | undefined,
): MetricDefinition[] {
  return LATENCY_STATS.map((stat) => {
    const percentile = STAT_PERCENTILES[stat];
    return {
      name: `${prefix}.${stat}`,
      label: `${label} ${stat}`,
      unit: 'ms',
      higherIsBetter: false,
      read: (run) => {
        const summary = pick(run);
        return summary && summary.count > 0 ? statMs(summary, stat) : null;
      },
      ...(percentile !== undefined ? { histogram: { pick, quantile: percentile / 100 } } : {}),
      compared: COMPARED_STATS[prefix]?.includes(stat) ?? false,
    };
  });
}

type Apply = NonNullable<RunResult['apply']>;
const fromApply =
  (read: (apply: Apply) => number | null) =>
  (run: RunResult): number | null =>
    run.apply ? read(run.apply) : null;
const started = (apply: Apply) => Math.max(1, apply.counts.total - apply.counts.notStarted);

const busiest = (run: RunResult) =>
  busiestController((run.observe?.targets ?? []).map((target) => target.signals));
const fromController =
  (read: (c: NonNullable<ReturnType<typeof busiest>>) => number | null) =>
  (run: RunResult): number | null => {
    const found = busiest(run);
    return found ? read(found) : null;
  };
type ApiServer = NonNullable<RunResult['apiserver']>;
const fromApiServer =
  (read: (apiserver: ApiServer) => number | null) =>
  (run: RunResult): number | null =>
    run.apiserver ? read(run.apiserver) : null;
const sliP99 = (name: ApiServer['sli']['checks'][number]['name']) =>
  fromApiServer((a) => a.sli.checks.find((check) => check.name === name)?.p99Ms ?? null);
const inflightMax = (a: ApiServer) => {
  const values = a.series.flatMap((point) => (point.inflight === null ? [] : [point.inflight]));
  return values.length > 0 ? maxOf(values) : null;
};

/** The update, delete or churn phases of a run (a profile may have several of one verb: read together). */
const phaseLoads = (run: RunResult, verb: PhaseLoad['verb']) =>
  run.phases.flatMap((phase) => (phase.load?.verb === verb ? [phase.load] : []));
const phaseLatency =
  (verb: PhaseLoad['verb'], which: keyof PhaseLoad['latency']) =>
  (run: RunResult): LatencySummary | undefined => {
    const summaries = phaseLoads(run, verb).flatMap((load) => load.latency[which] ?? []);
    if (summaries.length <= 1) return summaries[0];
    return mergeSummaries(summaries);
  };
const phaseCount =
  (verb: PhaseLoad['verb'], read: (counts: PhaseLoad['counts']) => number) =>
  (run: RunResult): number | null => {
    const loads = phaseLoads(run, verb);
    return loads.length === 0 ? null : loads.reduce((sum, load) => sum + read(load.counts), 0);
  };
const phaseFailedRate = (verb: PhaseLoad['verb']) => (run: RunResult) => {
  const sent = phaseCount(verb, (c) => c.sent)(run);
  const bad = phaseCount(verb, (c) => c.failed + c.timedOut)(run);
  return sent === null || bad === null ? null : (100 * bad) / Math.max(1, sent);
};
/** A phase verb's metrics: its done latency, its requests, and what did not finish. */
const phaseFamily = (
  verb: PhaseLoad['verb'],
  done: { name: string; label: string },
  requestLabel: string,
  plural: string,
): MetricDefinition[] => [
  ...latencyFamily(done.name, done.label, phaseLatency(verb, 'done')),
  ...latencyFamily(`${verb}.request`, requestLabel, phaseLatency(verb, 'request')),
  scalar(`${verb}.failedRate`, `${plural} failed or timed out`, '%', phaseFailedRate(verb)),
  scalar(
    `${verb}.timedOut`,
    `${plural} timed out`,
    '',
    phaseCount(verb, (c) => c.timedOut),
  ),
  scalar(
    `${verb}.failed`,
    `${plural} failed`,
    '',
    phaseCount(verb, (c) => c.failed),
  ),
];

/** The read phases of a run, read together. */
const readLoads = (run: RunResult) => run.phases.flatMap((phase) => (phase.read ? [phase.read] : []));
const readLatency =
  (kind?: ReadKind) =>
  (run: RunResult): LatencySummary | undefined => {
    const summaries = readLoads(run).map((read) => (kind ? read.byKind[kind].latency : read.latency));
    if (summaries.length <= 1) return summaries[0];
    return mergeSummaries(summaries);
  };
const readErrorRate = (run: RunResult) => {
  const loads = readLoads(run);
  if (loads.length === 0) return null;
  const sent = loads.reduce((sum, read) => sum + read.counts.sent, 0);
  const failed = loads.reduce((sum, read) => sum + read.counts.failed, 0);
  return (100 * failed) / Math.max(1, sent);
};

const createdPerSecond = (run: RunResult) => (run.apply?.series ?? []).map((point) => point.created);

const scalar = (
  name: string,
  label: string,
  unit: MetricUnit,
  read: (run: RunResult) => number | null,
  options: Partial<Pick<MetricDefinition, 'higherIsBetter' | 'series' | 'compared'>> = {},
): MetricDefinition => ({ name, label, unit, read, higherIsBetter: false, compared: false, ...options });

const ALL: MetricDefinition[] = [
  ...latencyFamily('ready', 'time to ready', (run) => run.apply?.latency.timeToReady),
  ...latencyFamily('create', 'create', (run) => run.apply?.latency.create),
  ...latencyFamily(
    'server.ready',
    'server-clock time to ready',
    (run) => run.apply?.latency.serverTimeToReady,
  ),
  ...latencyFamily('watch.lag', 'watch lag', (run) => run.apply?.latency.watchLag),
  ...latencyFamily(
    'vitictl.ownLag',
    "vitictl's own part (event read → marked ready)",
    (run) => run.apply?.latency.ownLag,
  ),
  ...latencyFamily(
    'start.lateness',
    'start lateness (send − intended start)',
    (run) => run.apply?.pacing?.lateness,
  ),
  ...latencyFamily(
    'truth.commitToRead',
    'audit commit → watch event read',
    (run) => run.apply?.groundTruth?.commitToRead,
  ),
  ...latencyFamily(
    'truth.commitToMarked',
    'audit commit → marked ready',
    (run) => run.apply?.groundTruth?.commitToMarked,
  ),
  ...latencyFamily('webhook', 'webhook', (run) => run.webhook?.latency),
  ...phaseFamily(
    'update',
    { name: 'update.ready', label: 'update: patch answered → reconciled and ready' },
    'update: the PATCH request',
    'updates',
  ),
  ...phaseFamily(
    'delete',
    { name: 'delete', label: 'delete: DELETE answered → gone' },
    'delete: the DELETE request',
    'deletes',
  ),
  ...phaseFamily(
    'churn',
    { name: 'churn.ready', label: 'churn: created again → ready' },
    'churn: the DELETE and POST requests',
    'churned objects',
  ),
  ...latencyFamily('churn.gone', 'churn: DELETE answered → gone', phaseLatency('churn', 'gone')),
  ...latencyFamily('read', 'read: every LIST (all its pages) and GET', readLatency()),
  ...latencyFamily('read.list', 'read: paginated LIST from etcd', readLatency('list')),
  ...latencyFamily(
    'read.cachedList',
    'read: LIST resourceVersion=0 (watch cache)',
    readLatency('cachedList'),
  ),
  ...latencyFamily('read.get', 'read: GET of one object', readLatency('get')),
  scalar('read.errorRate', 'reads that failed', '%', readErrorRate),
  scalar(
    'ready.failedRate',
    'failed or timed out',
    '%',
    fromApply((a) => (100 * (a.counts.failed + a.counts.timedOut)) / started(a)),
  ),
  scalar(
    'create.errorRate',
    'creates that failed',
    '%',
    fromApply((a) => (100 * a.failures.filter((f) => f.stage === 'create').length) / started(a)),
  ),
  // the rate the cluster kept up with: a run that sent 500/s while the API server completed 340/s
  // must not pass `achievedRate >= 0.95 * requestedRate`
  scalar(
    'achievedRate',
    'completed creates/s',
    '/s',
    fromApply((a) => a.completedRate ?? null),
    {
      higherIsBetter: true,
      series: createdPerSecond,
      compared: true,
    },
  ),
  scalar(
    'sentRate',
    'creates sent/s',
    '/s',
    fromApply((a) => a.achievedRate),
    { higherIsBetter: true },
  ),
  scalar(
    'start.cpuWaitShare',
    'of the late starts, time vitictl waited for a CPU',
    '%',
    fromApply((a) => (a.pacing?.cpuWaitShare == null ? null : 100 * a.pacing.cpuWaitShare)),
  ),
  scalar(
    'requestedRate',
    'requested rate',
    '/s',
    fromApply((a) => a.requestedRate),
  ),
  scalar(
    'createThroughput',
    'create throughput',
    '/s',
    fromApply((a) => a.createThroughput),
    {
      higherIsBetter: true,
      series: createdPerSecond,
      compared: true,
    },
  ),
  scalar(
    'objects.ready',
    'objects ready',
    '',
    fromApply((a) => a.counts.ready),
    { higherIsBetter: true },
  ),
  scalar(
    'objects.failed',
    'objects failed',
    '',
    fromApply((a) => a.counts.failed),
    { compared: true },
  ),
  scalar(
    'objects.timedOut',
    'objects timed out',
    '',
    fromApply((a) => a.counts.timedOut),
    { compared: true },
  ),
  scalar(
    'create.retries',
    'create retries',
    '',
    fromApply((a) => a.retries),
    { compared: true },
  ),
  scalar(
    'controller.throughput',
    'controller X (reconciles/s)',
    '/s',
    fromController(({ controller }) => controller.throughput),
    { higherIsBetter: true, compared: true },
  ),
  scalar(
    'controller.reconcile.mean',
    'controller S̄',
    'ms',
    fromController(({ controller }) => controller.serviceMean * 1000),
    { compared: true },
  ),
  scalar(
    'controller.reconcile.p95',
    'controller reconcile p95',
    'ms',
    fromController(({ controller }) =>
      controller.serviceP95 === null ? null : controller.serviceP95 * 1000,
    ),
    { compared: true },
  ),
  scalar(
    'controller.utilization',
    'controller ρ',
    '',
    fromController(({ controller }) => controller.utilization),
  ),
  scalar(
    'controller.queueWait',
    'controller W̄q',
    'ms',
    fromController(({ controller }) => controller.queueWaitMean * 1000),
    { compared: true },
  ),
  scalar(
    'controller.queueDepthMax',
    'queue depth max',
    '',
    fromController(({ controller }) => controller.queueDepthMax),
    { compared: true },
  ),
  scalar(
    'controller.goroutineSlope',
    'goroutine slope',
    '/min',
    fromController(({ signals }) => signals.process.goroutineSlopePerMinute),
  ),
  scalar(
    'controller.restarts',
    'controller restarts',
    '',
    fromController(({ signals }) => signals.process.restarts),
  ),
  scalar(
    'controller.cpu',
    'controller CPU',
    'cores',
    fromController(({ signals }) => signals.process.cpuCores),
    {
      compared: true,
    },
  ),
  scalar(
    'controller.rss',
    'controller RSS max',
    'MiB',
    fromController(({ signals }) =>
      signals.process.rssMaxBytes === null ? null : signals.process.rssMaxBytes / 2 ** 20,
    ),
    { compared: true },
  ),
  scalar('apiserver.mutating.p99', 'API server mutating calls p99', 'ms', sliP99('mutating'), {
    compared: true,
  }),
  scalar('apiserver.reads.p99', 'API server single-object reads p99', 'ms', sliP99('reads')),
  scalar(
    'apiserver.list.p99',
    'API server LIST p99',
    'ms',
    fromApiServer((a) => a.sli.listP99Ms),
  ),
  scalar(
    'apiserver.rejected',
    'API server requests rejected (flow control)',
    '',
    fromApiServer((a) => a.flowControl.rejected),
    { compared: true },
  ),
  scalar('apiserver.inflight.max', 'API server requests in flight (max)', '', fromApiServer(inflightMax)),
  scalar(
    'apiserver.cpu',
    'API server CPU (mean)',
    'cores',
    fromApiServer((a) => a.cpu.cores),
  ),
  scalar(
    'apiserver.sched.p99',
    'API server wait for a core p99',
    'ms',
    fromApiServer((a) => a.cpu.schedWaitP99Ms),
  ),
  scalar(
    'etcd.request.p99',
    'etcd request p99 (at the API server)',
    'ms',
    fromApiServer((a) => a.etcd.requestP99Ms),
    { compared: true },
  ),
  scalar(
    'etcd.commit.p99',
    'etcd backend commit p99',
    'ms',
    fromApiServer((a) => a.etcd.commitP99Ms),
  ),
  scalar(
    'overhead',
    'tool overhead (CPU share)',
    '%',
    (run) => (run.overhead ? 100 * run.overhead.share : null),
    {
      compared: true,
    },
  ),
];

export const METRICS: ReadonlyMap<string, MetricDefinition> = new Map(ALL.map((m) => [m.name, m]));

export function metricNamed(name: string): MetricDefinition | undefined {
  return METRICS.get(name);
}

/** The metric names, latency families folded ("ready.p50|p90|…|mean"), for hints and help. */
export function knownMetricNames(): string[] {
  const families = new Map<string, string[]>();
  const out: string[] = [];
  for (const name of METRICS.keys()) {
    const dot = name.lastIndexOf('.');
    const stat = name.slice(dot + 1);
    if (dot > 0 && (LATENCY_STATS as string[]).includes(stat)) {
      const family = name.slice(0, dot);
      if (!families.has(family)) {
        families.set(family, []);
        out.push(family);
      }
      families.get(family)!.push(stat);
    } else out.push(name);
  }
  return out.map((name) => (families.has(name) ? `${name}.${families.get(name)!.join('|')}` : name));
}

/** The one way a metric's value is written: 1.23s / 45.0ms, 2.50%, 50.00/s, 0.25 cores. */
export function formatMetricValue(value: number, unit: MetricUnit | string): string {
  if (unit === 'ms') return formatMs(value);
  if (unit === '%') return `${value.toFixed(2)}%`;
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  return `${rounded}${unit === '' ? '' : unit.startsWith('/') ? unit : ` ${unit}`}`;
}
