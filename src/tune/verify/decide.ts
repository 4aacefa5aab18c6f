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

const round1 = (v: number) => Math.round(v * 10) / 10;

/** What the rule knows besides the two runs. */
export interface DecideContext {
  /** keep only an improvement of at least this much (%) */
  minImprovementPct: number;
  /**
   * the tuner's predicted p99 improvement for the recommendation (%), null without a prediction: kept
   * in the rule for the reader, not weighed (the prediction is what verify checks, not a standard)
   */
  predictedImprovementPct: number | null;
  /**
   * the tuner held the load-adding knobs (workers, QPS, burst) because any raise would overload the
   * API server: the recommendation changes only what is safe, and is not expected to be faster
   */
  held: boolean;
  /**
   * the recorded run, when the baseline was re-measured: the same config and load run twice, whose
   * p99 difference is the run-to-run noise of this cluster
   */
  recorded: RunSummary | null;
}

/**
 * Keep the recommended config only when all hold:
 *  1. the re-run finished (not interrupted) and made objects ready;
 *  2. no new errors: failed + timed-out objects not more than before;
 *  3. the margin is the larger of `minImprovementPct` and the run-to-run noise (the recorded run's
 *     p99 against the re-measured baseline's: the same config and load, a few minutes apart);
 *  4. a recommendation that raises load: p99 improved by at least the margin, and beyond the
 *     within-run noise (the after run's 95% interval for its p99 lies entirely below the before run's);
 *     a held one (the tuner kept workers, QPS and burst because the API server has no room): p99 is
 *     not worse than before by more than the margin. Asking it to be faster would roll back every
 *     recommendation whose point is safety, not speed.
 * Otherwise roll back. Pure.
 */
export function decide(before: RunSummary, after: RunSummary, context: DecideContext): Decision {
  const { minImprovementPct, predictedImprovementPct, recorded, held } = context;
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
  const recordedP99 = recorded?.timeToReady.p99 ?? 0;
  const runToRunPct =
    recorded && recordedP99 > 0 ? round1((Math.abs(beforeP99 - recordedP99) / recordedP99) * 100) : null;
  const marginPct = Math.max(minImprovementPct, runToRunPct ?? 0);
  const expect = held ? 'not-worse' : 'faster';
  const beforeInterval = percentileInterval(before.timeToReady, 0.99);
  const afterInterval = percentileInterval(after.timeToReady, 0.99);
  const beyondNoise = afterInterval.highMs < beforeInterval.lowMs;
  const newErrors = Math.max(0, failures(after) - failures(before));
  const rule = {
    minImprovementPct,
    beforeP99Ms: beforeP99,
    afterP99Ms: afterP99,
    improvementPct: round1(improvementPct),
    beforeP99Interval: beforeInterval,
    afterP99Interval: afterInterval,
    beyondNoise,
    newErrors,
    expect,
    predictedImprovementPct: predictedImprovementPct === null ? null : round1(predictedImprovementPct),
    runToRunPct,
    marginPct,
  } as const;
  const p99 = `p99 time-to-ready ${fmt(beforeP99)} → ${fmt(afterP99)} (${rule.improvementPct >= 0 ? '−' : '+'}${Math.abs(rule.improvementPct)}%)`;
  const margin =
    runToRunPct !== null && runToRunPct > minImprovementPct
      ? `${marginPct}% (the run-to-run noise: the same config measured ${fmt(recordedP99)} and ${fmt(beforeP99)})`
      : `${marginPct}%`;
  if (newErrors > 0)
    return {
      verdict: 'rolled-back',
      reason: `${newErrors} more objects failed or timed out than before; ${p99}`,
      rule,
    };
  if (expect === 'not-worse') {
    const why =
      'the tuner held workers, QPS and burst (the API server has no room), so it must only not be worse';
    return -improvementPct > marginPct
      ? {
          verdict: 'rolled-back',
          reason: `${p99}: worse by more than the margin of ${margin}; ${why}`,
          rule,
        }
      : {
          verdict: 'kept',
          reason: `${p99}: not worse beyond the margin of ${margin}, no new errors; ${why}`,
          rule,
        };
  }
  if (improvementPct < marginPct)
    return {
      verdict: 'rolled-back',
      reason: `${p99}: less than the required improvement of ${margin}`,
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
    reason: `${p99}, more than the margin of ${margin} and beyond the noise (95% intervals ${fmt(afterInterval.lowMs)}–${fmt(afterInterval.highMs)} vs ${fmt(beforeInterval.lowMs)}–${fmt(beforeInterval.highMs)}), no new errors`,
    rule,
  };
}

/** Beyond this change between the recorded run and the re-measured baseline, the prediction is stale. */
const CLUSTER_MOVED_PCT = 25;

/**
 * The same config and load measured twice: when the baseline's p50 or p99 is far from the recorded
 * run's, the cluster changed, and the prediction (fitted on the recorded run) inherits that change.
 */
export function clusterMoved(recorded: RunSummary | undefined, baseline: RunSummary): string | undefined {
  if (!recorded) return undefined;
  const change = (p: 'p50' | 'p99') =>
    recorded.timeToReady[p] > 0 ? (baseline.timeToReady[p] / recorded.timeToReady[p] - 1) * 100 : 0;
  const worst = (['p50', 'p99'] as const).reduce((a, b) =>
    Math.abs(change(b)) > Math.abs(change(a)) ? b : a,
  );
  const pct = change(worst);
  if (Math.abs(pct) <= CLUSTER_MOVED_PCT) return undefined;
  return `the cluster is not the one the recorded run saw: the same config and load measured ${worst} ${fmt(recorded.timeToReady[worst])} then and ${fmt(baseline.timeToReady[worst])} now (${pct > 0 ? '+' : ''}${Math.round(pct)}%); the prediction was fitted on the recorded run and carries that error: tune from a fresh run (baseline.json beside verify.json is one)`;
}
