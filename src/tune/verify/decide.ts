import { decodeHistogram, type LatencySummary } from '../../report/histogram.js';
import { formatMs as fmt } from '../../util/duration.js';
import type { Decision, RunSummary } from './result.js';

/** Default: the recommended config must cut p99 time-to-ready by at least this much (and beyond noise). */
export const DEFAULT_MIN_IMPROVEMENT_PCT = 5;

/** z for a two-sided 95% interval */
const Z95 = 1.96;

/**
 * A distribution-free 95% interval for percentile q of a run: the order statistics at ranks
 * nq ∓ z·√(nq(1−q)) (normal approximation to the binomial count of samples below the true
 * percentile), read from the run's HDR histogram. With few objects the interval is wide (at 60
 * objects the p99's reaches from about the 58th value to the maximum): that width is the noise a
 * single run can show.
 */
export function percentileInterval(summary: LatencySummary, q: number): { lowMs: number; highMs: number } {
  const n = summary.count;
  if (n === 0) return { lowMs: 0, highMs: 0 };
  const spread = Z95 * Math.sqrt(n * q * (1 - q));
  const lowRank = Math.max(1, Math.floor(n * q - spread));
  const highRank = Math.min(n, Math.ceil(n * q + spread) + 1);
  const histogram = decodeHistogram(summary);
  // the histogram holds µs whatever unit the summary reports in
  const toMs = (us: number) => us / 1000;
  // getValueAtPercentile(p) is the smallest recorded value with at least p% of the samples at or below it
  const at = (rank: number) => toMs(histogram.getValueAtPercentile((100 * rank) / n));
  const low = lowRank <= 1 ? toMs(histogram.minNonZeroValue) : at(lowRank);
  const high = highRank >= n ? toMs(histogram.maxValue) : at(highRank);
  return { lowMs: low, highMs: high };
}

const failures = (run: RunSummary) => run.counts.failed + run.counts.timedOut;

/**
 * Keep the recommended config only when all hold:
 *  1. the re-run finished (not interrupted) and made objects ready;
 *  2. no new errors: failed + timed-out objects not more than before;
 *  3. p99 time-to-ready improved by at least `minImprovementPct` percent;
 *  4. beyond the measured noise: the after run's 95% interval for its p99 lies entirely below the
 *     before run's (the two runs' p99s cannot be the same value sampled twice).
 * Otherwise roll back. Pure.
 */
export function decide(before: RunSummary, after: RunSummary, minImprovementPct: number): Decision {
  if (after.interrupted) return { verdict: 'interrupted', reason: 'the re-run was interrupted', rule: null };
  if (after.counts.ready === 0 || after.timeToReady.count === 0) {
    return {
      verdict: 'rolled-back',
      reason: 'no object became ready in the re-run',
      rule: null,
    };
  }
  const beforeP99 = before.timeToReady.p99;
  const afterP99 = after.timeToReady.p99;
  const improvementPct = beforeP99 > 0 ? ((beforeP99 - afterP99) / beforeP99) * 100 : 0;
  const beforeInterval = percentileInterval(before.timeToReady, 0.99);
  const afterInterval = percentileInterval(after.timeToReady, 0.99);
  const beyondNoise = afterInterval.highMs < beforeInterval.lowMs;
  const newErrors = Math.max(0, failures(after) - failures(before));
  const rule = {
    minImprovementPct,
    beforeP99Ms: beforeP99,
    afterP99Ms: afterP99,
    improvementPct: Math.round(improvementPct * 10) / 10,
    beforeP99Interval: beforeInterval,
    afterP99Interval: afterInterval,
    beyondNoise,
    newErrors,
  };
  const p99 = `p99 time-to-ready ${fmt(beforeP99)} → ${fmt(afterP99)} (${rule.improvementPct >= 0 ? '−' : '+'}${Math.abs(rule.improvementPct)}%)`;
  if (newErrors > 0)
    return {
      verdict: 'rolled-back',
      reason: `${newErrors} more objects failed or timed out than before; ${p99}`,
      rule,
    };
  if (improvementPct < minImprovementPct)
    return {
      verdict: 'rolled-back',
      reason: `${p99}: less than the required ${minImprovementPct}% improvement`,
      rule,
    };
  if (!beyondNoise)
    return {
      verdict: 'rolled-back',
      reason: `${p99}, but within the noise: the after p99's 95% interval (${fmt(afterInterval.lowMs)}–${fmt(afterInterval.highMs)}) overlaps the before one's (${fmt(beforeInterval.lowMs)}–${fmt(beforeInterval.highMs)})`,
      rule,
    };
  return {
    verdict: 'kept',
    reason: `${p99}, beyond the noise (95% intervals ${fmt(afterInterval.lowMs)}–${fmt(afterInterval.highMs)} vs ${fmt(beforeInterval.lowMs)}–${fmt(beforeInterval.highMs)}), no new errors`,
    rule,
  };
}
