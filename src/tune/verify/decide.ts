import { decodeHistogram, type LatencySummary } from '../../report/histogram.js';
import { formatMs as fmt } from '../../util/duration.js';
import { maxOf, minOf } from '../../util/extremes.js';
import { median } from '../fit.js';
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
   * the recommendation raises none of the load-adding knobs (workers, QPS, burst): held because any
   * raise would overload the API server, or kept by the diagnosis. It changes only what is safe, and is
   * not expected to be faster
   */
  held: boolean;
  /**
   * the recorded run, when the baseline was re-measured: the same config and load run twice, whose
   * p99 difference is the run-to-run noise of this cluster
   */
  recorded: RunSummary | null;
}

/** One round: the baseline (the live config, or the recorded run) and the recommendation's re-run. */
export interface RoundPair {
  before: RunSummary;
  after: RunSummary;
}

/** How much shorter the re-run's p99 is than its baseline's, % of the baseline's (negative: longer). */
const improvement = (pair: RoundPair) => {
  const b = pair.before.timeToReady.p99;
  return b > 0 ? ((b - pair.after.timeToReady.p99) / b) * 100 : 0;
};

/**
 * How much shorter the baseline's p99 is than the re-run's, % of the re-run's: the same measure as the
 * improvement and the noise, from the other side (negative: the re-run was faster).
 */
const slowdown = (pair: RoundPair) => {
  const a = pair.after.timeToReady.p99;
  return a > 0 ? ((a - pair.before.timeToReady.p99) / a) * 100 : 0;
};

/**
 * The run-to-run noise: how far apart the same config's p99s were, as the share by which the shorter
 * is shorter than the longer (so it is in the improvement's units, below 100%). Over several rounds, the
 * re-measured baselines (run under the conditions the re-runs saw); with one, the recorded run and
 * its re-measured baseline. Null when the config was measured once.
 */
function runToRun(pairs: RoundPair[], recorded: RunSummary | null): number | null {
  const p99s = sameConfigP99s(pairs, recorded);
  const low = minOf(p99s);
  const high = maxOf(p99s);
  return p99s.length >= 2 && high > 0 ? round1(((high - low) / high) * 100) : null;
}

/**
 * Keep the recommended config only when all hold:
 *  1. every re-run finished (not interrupted) and made objects ready;
 *  2. no new errors: in no round more failed + timed-out objects than its baseline;
 *  3. the margin is the larger of `minImprovementPct` and the run-to-run noise (how far apart the same
 *     config's p99s were: the baselines of several rounds, or the recorded run and its re-measured
 *     baseline);
 *  4. a recommendation that raises load: in every round p99 improved on that round's baseline, beyond
 *     the within-run noise (the after run's 95% interval for its p99 entirely below the baseline's),
 *     and the median improvement is at least the margin;
 *     a held one (no workers, QPS or burst raised: the API server has no room, or another bottleneck): the
 *     baseline's p99 is not shorter than the re-run's by more than the margin (in the median). Asking it to be faster would roll back every
 *     recommendation whose point is safety, not speed.
 * Rounds alternate baseline and re-run, so a cluster that drifts between runs weighs on both sides.
 * Otherwise roll back. Pure.
 */
export function decide(pairs: RoundPair[], context: DecideContext): Decision {
  const { minImprovementPct, predictedImprovementPct, recorded, held } = context;
  if (pairs.length === 0) throw new Error('decide needs at least one round');
  if (pairs.some((pair) => pair.after.interrupted))
    return { verdict: 'interrupted', reason: 'the re-run was interrupted', rule: null };
  if (pairs.some((pair) => pair.after.counts.ready === 0 || pair.after.timeToReady.count === 0)) {
    return {
      verdict: 'rolled-back',
      reason: 'no object became ready in the re-run',
      rule: null,
    };
  }
  const rounds = pairs.map((pair) => {
    const beforeInterval = percentileInterval(pair.before.timeToReady, 0.99);
    const afterInterval = percentileInterval(pair.after.timeToReady, 0.99);
    return {
      beforeP99Ms: pair.before.timeToReady.p99,
      afterP99Ms: pair.after.timeToReady.p99,
      improvementPct: round1(improvement(pair)),
      beforeP99Interval: beforeInterval,
      afterP99Interval: afterInterval,
      beyondNoise: afterInterval.highMs < beforeInterval.lowMs,
    };
  });
  const improvementPct = median(pairs.map(improvement));
  // the round nearest the median stands for all in the intervals shown
  const middle = rounds.reduce((best, round) =>
    Math.abs(round.improvementPct - improvementPct) < Math.abs(best.improvementPct - improvementPct)
      ? round
      : best,
  );
  const beforeP99 = median(rounds.map((round) => round.beforeP99Ms));
  const afterP99 = median(rounds.map((round) => round.afterP99Ms));
  const runToRunPct = runToRun(pairs, recorded);
  const marginPct = Math.max(minImprovementPct, runToRunPct ?? 0);
  const expect = held ? 'not-worse' : 'faster';
  const beyondNoise = rounds.every((round) => round.beyondNoise);
  const everyRoundBetter = rounds.every((round) => round.improvementPct > 0);
  const newErrors = Math.max(0, maxOf(pairs.map((pair) => failures(pair.after) - failures(pair.before))));
  const rule = {
    minImprovementPct,
    beforeP99Ms: beforeP99,
    afterP99Ms: afterP99,
    improvementPct: round1(improvementPct),
    beforeP99Interval: middle.beforeP99Interval,
    afterP99Interval: middle.afterP99Interval,
    beyondNoise,
    newErrors,
    expect,
    predictedImprovementPct: predictedImprovementPct === null ? null : round1(predictedImprovementPct),
    runToRunPct,
    marginPct,
    rounds:
      rounds.length > 1
        ? rounds.map(({ beforeP99Ms, afterP99Ms, improvementPct, beyondNoise }) => ({
            beforeP99Ms,
            afterP99Ms,
            improvementPct,
            beyondNoise,
          }))
        : [],
  } as const;
  const sign = (pct: number) => `${pct >= 0 ? '−' : '+'}${Math.abs(pct)}%`;
  const p99 =
    rounds.length === 1
      ? `p99 time-to-ready ${fmt(beforeP99)} → ${fmt(afterP99)} (${sign(rule.improvementPct)})`
      : `p99 time-to-ready over ${rounds.length} rounds ${rounds.map((round) => sign(round.improvementPct)).join(', ')} (median ${sign(rule.improvementPct)}; ${fmt(beforeP99)} → ${fmt(afterP99)})`;
  const margin =
    runToRunPct !== null && runToRunPct > minImprovementPct
      ? `${marginPct}% (the run-to-run noise: the same config measured ${sameConfigText(pairs, recorded)})`
      : `${marginPct}%`;
  if (newErrors > 0)
    return {
      verdict: 'rolled-back',
      reason: `${newErrors} more objects failed or timed out than before; ${p99}`,
      rule,
    };
  if (expect === 'not-worse') {
    const why =
      'the recommendation raises no workers, QPS or burst (it sizes, it does not speed up), so it must only not be worse';
    const slower = round1(median(pairs.map(slowdown)));
    return slower > marginPct
      ? {
          verdict: 'rolled-back',
          reason: `${p99}: the baseline's p99 was ${slower}% shorter${rounds.length > 1 ? ' in the median' : ''}, more than the margin of ${margin}; ${why}`,
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
  if (!everyRoundBetter)
    return {
      verdict: 'rolled-back',
      reason: `${p99}, but not better in every round`,
      rule,
    };
  if (!beyondNoise)
    return {
      verdict: 'rolled-back',
      reason:
        rounds.length === 1
          ? `${p99}, but within the noise: the after p99's 95% interval (${fmt(middle.afterP99Interval.lowMs)}–${fmt(middle.afterP99Interval.highMs)}) overlaps the before one's (${fmt(middle.beforeP99Interval.lowMs)}–${fmt(middle.beforeP99Interval.highMs)})`
          : `${p99}, but within the noise in a round: its after p99's 95% interval overlaps its baseline's`,
      rule,
    };
  return {
    verdict: 'kept',
    reason:
      rounds.length === 1
        ? `${p99}, more than the margin of ${margin} and beyond the noise (95% intervals ${fmt(middle.afterP99Interval.lowMs)}–${fmt(middle.afterP99Interval.highMs)} vs ${fmt(middle.beforeP99Interval.lowMs)}–${fmt(middle.beforeP99Interval.highMs)}), no new errors`
        : `${p99}, more than the margin of ${margin}, better beyond the noise in every round, no new errors`,
    rule,
  };
}

/** The same config's p99s the noise is taken from: the rounds' baselines, or the recorded run and its baseline. */
function sameConfigP99s(pairs: RoundPair[], recorded: RunSummary | null): number[] {
  if (pairs.length >= 2) return pairs.map((pair) => pair.before.timeToReady.p99);
  return recorded ? [recorded.timeToReady.p99, pairs[0]!.before.timeToReady.p99] : [];
}

/** "7.60s and 12.03s": the same config's p99s the noise was taken from. */
function sameConfigText(pairs: RoundPair[], recorded: RunSummary | null): string {
  const texts = sameConfigP99s(pairs, recorded).map(fmt);
  return texts.length === 2 ? texts.join(' and ') : `${texts.slice(0, -1).join(', ')} and ${texts.at(-1)}`;
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
