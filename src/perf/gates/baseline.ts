import { decodeHistogram, type LatencySummary } from '../../report/histogram.js';
import { formatMetricValue, type MetricDefinition, metricNamed } from '../../report/metrics.js';
import type { GateResult, RunResult } from '../../report/run-result.js';

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

/** 95% half-width of a per-second rate's mean, the first and last (partial) seconds left out. */
function seriesNoise(series: number[]): number {
  const inner = series.filter((_, i, all) => i > 0 && i < all.length - 1);
  if (inner.length < 3) return 0;
  const mean = inner.reduce((a, b) => a + b, 0) / inner.length;
  const sd = Math.sqrt(inner.reduce((a, b) => a + (b - mean) ** 2, 0) / (inner.length - 1));
  return (1.96 * sd) / Math.sqrt(inner.length);
}

function noiseOf(metric: MetricDefinition, run: RunResult, baseline: RunResult): number {
  if (metric.histogram) {
    const a = metric.histogram.pick(run);
    const b = metric.histogram.pick(baseline);
    return a && b
      ? Math.hypot(quantileNoise(a, metric.histogram.quantile), quantileNoise(b, metric.histogram.quantile))
      : 0;
  }
  if (metric.series) return Math.hypot(seriesNoise(metric.series(run)), seriesNoise(metric.series(baseline)));
  return 0;
}

export const BASELINE_METRICS = ['ready.p50', 'ready.p99', 'create.p99', 'achievedRate', 'webhook.p99'];

/**
 * Against a baseline: a metric may not regress by more than `maxRegression` (a fraction) beyond the
 * combined noise of both runs. Metrics neither run measured are skipped.
 */
export function baselineGates(run: RunResult, baseline: RunResult, maxRegression: number): GateResult[] {
  const out: GateResult[] = [];
  for (const name of BASELINE_METRICS) {
    const metric = metricNamed(name)!;
    const now = metric.read(run);
    const before = metric.read(baseline);
    if (now === null || before === null) continue;
    const noise = noiseOf(metric, run, baseline);
    const allowed = maxRegression * before;
    const regression = metric.higherIsBetter ? before - now : now - before;
    const passed = regression <= allowed + noise;
    const pct = before !== 0 ? (100 * regression) / before : 0;
    const format = (v: number) => formatMetricValue(v, metric.unit);
    out.push({
      gate: `${name} vs baseline (≤ ${Math.round(maxRegression * 100)}% + noise)`,
      metric: name,
      op: metric.higherIsBetter ? '>=' : '<=',
      threshold: metric.higherIsBetter ? before - allowed - noise : before + allowed + noise,
      value: now,
      unit: metric.unit,
      passed,
      message: `${name} ${format(before)} → ${format(now)} (${Math.abs(pct).toFixed(1)}% ${pct > 0 ? 'worse' : 'better'}; noise ±${format(noise)})${passed ? '' : ': regression'}`,
      baseline: { value: before, noise, allowedRegression: maxRegression },
    });
  }
  return out;
}
