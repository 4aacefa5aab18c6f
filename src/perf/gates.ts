import { inputError, type SourceLocation } from '../errors.js';
import { decodeHistogram, type LatencySummary } from '../report/histogram.js';
import type { GateResult, RunResult } from '../report/run-result.js';
import { parseDuration } from '../util/duration.js';

/**
 * Gates, k6-style: `ready.p99 < 30s`, `create.errorRate < 1%`, `achievedRate >= 0.95 * requestedRate`.
 * A metric resolves to a number in its unit (durations in ms, rates in %, per-second rates); a missing
 * metric fails its gate, saying the run did not measure it.
 */

type Unit = 'ms' | '%' | '/s' | '' | '/min' | 'cores' | 'MiB';
interface Metric {
  unit: Unit;
  read(run: RunResult): number | null;
  /** true when larger is better (rates); used by baseline comparison */
  higherIsBetter?: boolean;
  histogram?(run: RunResult): LatencySummary | undefined;
  quantile?: number;
}

const PERCENTILES: Record<string, number | 'mean' | 'max'> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
  max: 'max',
  mean: 'mean',
};

function latencyMetric(pick: (run: RunResult) => LatencySummary | undefined, stat: string): Metric {
  const p = PERCENTILES[stat];
  return {
    unit: 'ms',
    read: (run) => {
      const h = pick(run);
      if (!h || h.count === 0) return null;
      if (p === 'mean') return h.mean;
      if (p === 'max') return h.max;
      return (
        ({ 50: h.p50, 90: h.p90, 95: h.p95, 99: h.p99, 99.9: h.p999 } as Record<number, number>)[
          p as number
        ] ?? null
      );
    },
    histogram: pick,
    ...(typeof p === 'number' ? { quantile: p / 100 } : {}),
  };
}

interface ControllerView {
  serviceP95: number;
  serviceMean: number;
  utilization: number | null;
  queueWaitMean: number;
  reconciles: number;
}
interface SignalsView {
  controllers: ControllerView[];
  process: {
    goroutineSlopePerMinute: number | null;
    restarts: number;
    cpuCores: number | null;
    rssMaxBytes: number | null;
  };
}

function busiest(run: RunResult): {
  controller: ControllerView | undefined;
  signals: SignalsView | undefined;
} {
  let best: { controller: ControllerView | undefined; signals: SignalsView | undefined } = {
    controller: undefined,
    signals: undefined,
  };
  for (const target of run.observe?.targets ?? []) {
    const signals = target.signals as unknown as SignalsView | null;
    for (const controller of signals?.controllers ?? []) {
      if (!best.controller || controller.reconciles > best.controller.reconciles)
        best = { controller, signals: signals ?? undefined };
    }
    if (!best.signals && signals) best.signals = signals;
  }
  return best;
}

/** webhook.pXX in ms, from the webhook result's µs latency summary (src/webhook/result.ts). */
function webhookPercentile(run: RunResult, key: string): number | null {
  const latency = (run.webhook as { latency?: { unit?: string } & Record<string, unknown> } | undefined)
    ?.latency;
  const value = latency?.[key];
  if (typeof value !== 'number') return null;
  return latency?.unit === 'us' ? value / 1000 : value;
}

function metric(name: string): Metric | undefined {
  const [head, ...rest] = name.split('.');
  const tail = rest.join('.');
  const apply = (run: RunResult) => run.apply;
  switch (head) {
    case 'ready':
      if (tail === 'failedRate')
        return {
          unit: '%',
          read: (run) =>
            apply(run)
              ? (100 * (apply(run)!.counts.failed + apply(run)!.counts.timedOut)) /
                Math.max(1, apply(run)!.counts.total - apply(run)!.counts.notStarted)
              : null,
        };
      if (PERCENTILES[tail]) return latencyMetric((run) => apply(run)?.latency.timeToReady, tail);
      return undefined;
    case 'create':
      if (tail === 'errorRate') {
        return {
          unit: '%',
          read: (run) => {
            const a = apply(run);
            if (!a) return null;
            const started = a.counts.total - a.counts.notStarted;
            return (100 * a.failures.filter((f) => f.stage === 'create').length) / Math.max(1, started);
          },
        };
      }
      if (PERCENTILES[tail]) return latencyMetric((run) => apply(run)?.latency.create, tail);
      return undefined;
    case 'server':
      return tail.startsWith('ready.') && PERCENTILES[tail.slice(6)]
        ? latencyMetric((run) => apply(run)?.latency.serverTimeToReady, tail.slice(6))
        : undefined;
    case 'watch':
      return tail.startsWith('lag.') && PERCENTILES[tail.slice(4)]
        ? latencyMetric((run) => apply(run)?.latency.watchLag, tail.slice(4))
        : undefined;
    case 'achievedRate':
      return { unit: '/s', higherIsBetter: true, read: (run) => apply(run)?.achievedRate ?? null };
    case 'requestedRate':
      return { unit: '/s', read: (run) => apply(run)?.requestedRate ?? null };
    case 'createThroughput':
      return { unit: '/s', higherIsBetter: true, read: (run) => apply(run)?.createThroughput ?? null };
    case 'objects':
      if (tail === 'failed' || tail === 'timedOut' || tail === 'ready')
        return { unit: '', read: (run) => apply(run)?.counts[tail] ?? null };
      return undefined;
    case 'controller': {
      const c = (run: RunResult) => busiest(run).controller;
      const p = (run: RunResult) => busiest(run).signals?.process;
      switch (tail) {
        case 'reconcile.p95':
          return {
            unit: 'ms',
            read: (run) => (c(run) && Number.isFinite(c(run)!.serviceP95) ? c(run)!.serviceP95 * 1000 : null),
          };
        case 'reconcile.mean':
          return { unit: 'ms', read: (run) => (c(run) ? c(run)!.serviceMean * 1000 : null) };
        case 'utilization':
          return { unit: '', read: (run) => c(run)?.utilization ?? null };
        case 'queueWait':
          return { unit: 'ms', read: (run) => (c(run) ? c(run)!.queueWaitMean * 1000 : null) };
        case 'goroutineSlope':
          return { unit: '/min', read: (run) => p(run)?.goroutineSlopePerMinute ?? null };
        case 'restarts':
          return { unit: '', read: (run) => p(run)?.restarts ?? null };
        case 'cpu':
          return { unit: 'cores', read: (run) => p(run)?.cpuCores ?? null };
        case 'rss':
          return {
            unit: 'MiB',
            read: (run) => (p(run)?.rssMaxBytes ? p(run)!.rssMaxBytes! / 2 ** 20 : null),
          };
        default:
          return undefined;
      }
    }
    case 'webhook':
      return PERCENTILES[tail] && typeof PERCENTILES[tail] === 'number'
        ? { unit: 'ms', read: (run) => webhookPercentile(run, tail) }
        : undefined;
    default:
      return undefined;
  }
}

export const KNOWN_METRICS = [
  'ready.p50|p90|p95|p99|p999|max|mean',
  'ready.failedRate',
  'create.p50…max',
  'create.errorRate',
  'server.ready.p50…max',
  'watch.lag.p50…max',
  'achievedRate',
  'requestedRate',
  'createThroughput',
  'objects.failed|timedOut|ready',
  'controller.reconcile.p95|mean',
  'controller.utilization',
  'controller.queueWait',
  'controller.goroutineSlope',
  'controller.restarts',
  'controller.cpu',
  'controller.rss',
  'webhook.p50|p90|p99|p999',
];

const OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;
type Op = (typeof OPS)[number];

export interface Gate {
  text: string;
  metric: string;
  op: Op;
  /** a constant in the metric's unit, or factor × another metric */
  right: { value: number } | { factor: number; metric: string };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const UNIT_SUFFIX: Partial<Record<Unit, RegExp>> = { '%': /%$/, '/s': /\/s$/, '/min': /\/min$/ };

function parseThreshold(text: string, unit: Unit, fail: (message: string, hint?: string) => never): number {
  if (unit === 'ms') {
    const ms = parseDuration(text) ?? (NUMBER.test(text) ? Number(text) : undefined);
    if (ms === undefined) fail(`"${text}" is not a duration`, 'e.g. 250ms, 30s, 2m (a bare number is ms)');
    return ms;
  }
  if (text.endsWith('%') && unit !== '%') fail('this metric is not a percentage');
  const bare = text.replace(UNIT_SUFFIX[unit] ?? /$^/, '').trim();
  if (!NUMBER.test(bare)) {
    fail(
      `"${text}" is not a number${unit === '' ? '' : ` in ${unit}`}`,
      'e.g. ready.failedRate < 1%, achievedRate >= 50/s',
    );
  }
  return Number(bare);
}

/**
 * Parse `metric op threshold` (or `metric op factor * metric`). Every problem is bad input naming
 * `location` (the gate's place in a profile or gates file), found before any load runs.
 */
export function parseGate(text: string, location?: SourceLocation): Gate {
  const fail = (message: string, hint?: string): never => {
    throw inputError(`gate "${text}": ${message}`, {
      ...(location ? { location } : {}),
      ...(hint ? { hint } : {}),
    });
  };
  const op =
    OPS.find((candidate) => text.includes(` ${candidate} `)) ??
    OPS.find((candidate) => text.includes(candidate));
  if (!op) return fail('no comparison (<, <=, >, >=, ==, !=)', 'e.g. ready.p99 < 30s');
  const left = text.slice(0, text.indexOf(op)).trim();
  const right = text.slice(text.indexOf(op) + op.length).trim();
  const m = metric(left);
  if (!m) return fail(`unknown metric "${left}"`, `known: ${KNOWN_METRICS.join(', ')}`);
  if (right === '') return fail(`no threshold after "${op}"`, `e.g. ${left} ${op} 30s`);
  const product = /^(\S+)\s*\*\s*([A-Za-z][\w.]*)$/.exec(right);
  if (product) {
    const [, factor = '', other = ''] = product;
    if (!NUMBER.test(factor))
      fail(`"${factor}" is not a number`, 'e.g. achievedRate >= 0.95 * requestedRate');
    if (!metric(other)) fail(`unknown metric "${other}"`, `known: ${KNOWN_METRICS.join(', ')}`);
    return { text, metric: left, op, right: { factor: Number(factor), metric: other } };
  }
  return { text, metric: left, op, right: { value: parseThreshold(right, m.unit, fail) } };
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

export function formatValue(value: number, unit: string): string {
  if (unit === 'ms') return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(1)}ms`;
  if (unit === '%') return `${value.toFixed(2)}%`;
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  return `${rounded}${unit === '' ? '' : unit.startsWith('/') ? unit : ` ${unit}`}`;
}

export function evaluateGate(gate: Gate, run: RunResult): GateResult {
  const m = metric(gate.metric)!;
  const value = m.read(run);
  let threshold: number | null;
  if ('value' in gate.right) threshold = gate.right.value;
  else {
    const other = metric(gate.right.metric)!.read(run);
    threshold = other === null ? null : gate.right.factor * other;
  }
  if (value === null || threshold === null) {
    return {
      gate: gate.text,
      metric: gate.metric,
      op: gate.op,
      threshold: threshold ?? Number.NaN,
      value: null,
      unit: m.unit,
      passed: false,
      message: `${gate.metric} was not measured in this run`,
    };
  }
  const passed = compare(value, gate.op, threshold);
  const gap = Math.abs(value - threshold);
  return {
    gate: gate.text,
    metric: gate.metric,
    op: gate.op,
    threshold,
    value,
    unit: m.unit,
    passed,
    message: `${gate.metric} = ${formatValue(value, m.unit)}${passed ? `, within ${gate.op} ${formatValue(threshold, m.unit)}` : `, ${formatValue(gap, m.unit)} ${value > threshold ? 'over' : 'under'} ${formatValue(threshold, m.unit)}`}`,
  };
}

/**
 * Half-width of a distribution-free 95% interval for a quantile, from the histogram itself: the
 * values at ranks n·q ± 1.96·√(n·q·(1−q)) (binomial order statistics). The run-to-run noise of a
 * percentile is measured from the run's own sample, not assumed.
 */
export function quantileNoise(summary: LatencySummary, q: number): number {
  const n = summary.count;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const h = decodeHistogram(summary);
  const spread = 1.96 * Math.sqrt(n * q * (1 - q));
  const at = (rank: number) => h.getValueAtPercentile(Math.min(100, Math.max(0, (rank / n) * 100))) / 1000;
  return (at(n * q + spread) - at(n * q - spread)) / 2;
}

function rateNoise(run: RunResult): number {
  const series = (run.apply?.series ?? [])
    .map((s) => s.created)
    .filter((_, i, all) => i > 0 && i < all.length - 1);
  if (series.length < 3) return 0;
  const mean = series.reduce((a, b) => a + b, 0) / series.length;
  const sd = Math.sqrt(series.reduce((a, b) => a + (b - mean) ** 2, 0) / (series.length - 1));
  return (1.96 * sd) / Math.sqrt(series.length);
}

export const BASELINE_METRICS = ['ready.p50', 'ready.p99', 'create.p99', 'achievedRate', 'webhook.p99'];

/**
 * Against a baseline: a metric may not regress by more than `maxRegression` (a fraction) beyond the
 * combined noise of both runs. Metrics neither run measured are skipped.
 */
export function baselineGates(run: RunResult, baseline: RunResult, maxRegression: number): GateResult[] {
  const out: GateResult[] = [];
  for (const name of BASELINE_METRICS) {
    const m = metric(name)!;
    const now = m.read(run);
    const before = m.read(baseline);
    if (now === null || before === null) continue;
    let noise = 0;
    if (m.histogram && m.quantile !== undefined) {
      const a = m.histogram(run);
      const b = m.histogram(baseline);
      if (a && b) noise = Math.hypot(quantileNoise(a, m.quantile), quantileNoise(b, m.quantile));
    } else if (name === 'achievedRate') {
      noise = Math.hypot(rateNoise(run), rateNoise(baseline));
    }
    const allowed = maxRegression * before;
    const regression = m.higherIsBetter ? before - now : now - before;
    const passed = regression <= allowed + noise;
    const pct = before !== 0 ? (100 * regression) / before : 0;
    out.push({
      gate: `${name} vs baseline (≤ ${Math.round(maxRegression * 100)}% + noise)`,
      metric: name,
      op: m.higherIsBetter ? '>=' : '<=',
      threshold: m.higherIsBetter ? before - allowed - noise : before + allowed + noise,
      value: now,
      unit: m.unit,
      passed,
      message: `${name} ${formatValue(before, m.unit)} → ${formatValue(now, m.unit)} (${Math.abs(pct).toFixed(1)}% ${pct > 0 ? 'worse' : 'better'}; noise ±${formatValue(noise, m.unit)})${passed ? '' : ': regression'}`,
      baseline: { value: before, noise, allowedRegression: maxRegression },
    });
  }
  return out;
}

/**
 * Gates of a merged run: each shard judged its own part; the verdicts that count are taken again on
 * the whole. Plain gates are re-parsed from their text; baseline gates need the baseline itself.
 */
export function regate(
  merged: RunResult,
  shardGates: GateResult[],
  baseline: RunResult | undefined,
  maxRegression: number,
): { gates: GateResult[]; warnings: string[] } {
  const texts = [...new Set(shardGates.filter((gate) => !gate.baseline).map((gate) => gate.gate))];
  const gates = texts.map((text) => evaluateGate(parseGate(text), merged));
  const warnings: string[] = [];
  if (baseline) gates.push(...baselineGates(merged, baseline, maxRegression));
  else if (shardGates.some((gate) => gate.baseline)) {
    warnings.push('the shards had baseline gates: pass --baseline FILE to judge the merged run against it');
  }
  return { gates, warnings };
}
