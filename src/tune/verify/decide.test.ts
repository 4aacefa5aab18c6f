import { describe, expect, it } from 'vitest';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import { clusterMoved, type DecideContext, decide, percentileInterval } from './decide.js';
import type { RunSummary } from './result.js';

/** A run whose objects became ready after these times (ms). */
function run(times: number[], counts: Partial<RunSummary['counts']> = {}, interrupted = false): RunSummary {
  const histogram = newHistogram();
  for (const t of times) recordMs(histogram, t);
  return {
    runId: 'r',
    startedAt: '2026-01-01T00:00:00Z',
    scenario: 'machines',
    objects: times.length,
    load: '20/s (burst 2)',
    counts: { ready: times.length, failed: 0, timedOut: 0, unfinished: 0, ...counts },
    interrupted,
    timeToReady: summarize(histogram),
    configHash: null,
  };
}

/** One round: a baseline and a re-run. */
const one = (before: RunSummary, after: RunSummary, context: DecideContext) =>
  decide([{ before, after }], context);

/** The rule's other inputs: a load-raising recommendation compared with the recorded run. */
const rule = (minImprovementPct: number, more: Partial<DecideContext> = {}): DecideContext => ({
  minImprovementPct,
  predictedImprovementPct: null,
  held: false,
  recorded: null,
  ...more,
});

const spread = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / Math.max(1, n - 1));

describe('the p99 interval', () => {
  it('reaches from below the p99 to the maximum for a small run, and narrows as runs grow', () => {
    const small = percentileInterval(run(spread(60, 100, 6000)).timeToReady, 0.99);
    expect(small.highMs).toBeCloseTo(6000, -1);
    expect(small.lowMs).toBeLessThan(6000);
    expect(small.lowMs).toBeGreaterThan(5500);
    const big = percentileInterval(run(spread(10_000, 100, 6000)).timeToReady, 0.99);
    expect(big.highMs).toBeLessThan(6000);
    expect(big.lowMs).toBeGreaterThan(5900);
  });
  it('is empty for an empty run', () => {
    expect(percentileInterval(run([]).timeToReady, 0.99)).toEqual({ lowMs: 0, highMs: 0 });
  });
});

describe('decide: keep only a real improvement without new errors', () => {
  const before = run(spread(60, 200, 12_000));

  it('keeps a config that cuts p99 far beyond the noise', () => {
    const decision = one(before, run(spread(60, 100, 400)), rule(5));
    expect(decision.verdict).toBe('kept');
    expect(decision.rule?.beyondNoise).toBe(true);
    expect(decision.rule?.improvementPct).toBeGreaterThan(90);
    expect(decision.reason).toMatch(/no new errors/);
  });

  it('rolls back an improvement smaller than --min-improvement', () => {
    const decision = one(before, run(spread(60, 100, 400)), rule(99));
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/less than the required improvement of 99%/);
  });

  it('rolls back a p99 that moved, but within the noise of two runs', () => {
    // same shape, the top few values a little lower: the intervals overlap
    const after = run([...spread(57, 200, 11_000), 11_500, 11_600, 11_700]);
    const decision = one(before, after, rule(1));
    expect(decision.rule?.improvementPct).toBeGreaterThanOrEqual(1);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/within the noise/);
  });

  it('rolls back a faster run with new failures', () => {
    const decision = one(before, run(spread(58, 100, 400), { failed: 1, timedOut: 1 }), rule(5));
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.rule?.newErrors).toBe(2);
    expect(decision.reason).toMatch(/^2 more objects failed or timed out/);
  });

  it('counts only errors beyond those of the run before', () => {
    const flaky = run(spread(60, 200, 12_000), { failed: 2 });
    expect(one(flaky, run(spread(60, 100, 400), { failed: 2 }), rule(5)).verdict).toBe('kept');
  });

  it('rolls back a slower run, and a run where nothing became ready', () => {
    expect(one(before, run(spread(60, 200, 20_000)), rule(0)).verdict).toBe('rolled-back');
    expect(one(before, run([], { ready: 0, timedOut: 60 }), rule(5))).toMatchObject({
      verdict: 'rolled-back',
      rule: null,
    });
  });

  it('says interrupted for an interrupted re-run, whatever it measured', () => {
    expect(one(before, run(spread(10, 100, 200), {}, true), rule(5)).verdict).toBe('interrupted');
  });
});

describe('decide: the margin and what the recommendation promised', () => {
  // the baseline re-measured just before: p99 about 10 s; the recorded run had 12.5 s
  const baseline = run(spread(1000, 200, 10_000));
  const recorded = run(spread(1000, 200, 12_500));

  it('widens the margin to the run-to-run noise: the same config measured twice, 20% apart', () => {
    const after = run(spread(1000, 100, 8_500));
    const decision = one(baseline, after, rule(5, { recorded }));
    expect(decision.rule?.runToRunPct).toBeCloseTo(20, 0);
    expect(decision.rule?.marginPct).toBeCloseTo(20, 0);
    expect(decision.rule?.beyondNoise).toBe(true);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(
      /less than the required improvement of 20(\.\d)?% \(the run-to-run noise: the same config measured 12\.\d+s and 9\.\d+s\)/,
    );
    // the same run judged by --min-improvement alone would have been kept
    expect(one(baseline, after, rule(5)).verdict).toBe('kept');
  });

  it('keeps a held recommendation that is not worse by more than the margin', () => {
    const decision = one(baseline, run(spread(1000, 200, 10_400)), rule(5, { held: true, recorded }));
    expect(decision.rule?.expect).toBe('not-worse');
    expect(decision.rule?.improvementPct).toBeLessThan(0);
    expect(decision.verdict).toBe('kept');
    expect(decision.reason).toMatch(/not worse beyond the margin/);
  });

  it('rolls back a held recommendation that made p99 worse beyond the margin', () => {
    const decision = one(baseline, run(spread(1000, 200, 13_000)), rule(5, { held: true, recorded }));
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/the baseline's p99 was 2\d\.\d% shorter, more than the margin of 20/);
  });

  it('holds a load-raising recommendation to an improvement, even when it is not worse', () => {
    const decision = one(baseline, run(spread(1000, 200, 10_000)), rule(5, { recorded }));
    expect(decision.rule?.expect).toBe('faster');
    expect(decision.verdict).toBe('rolled-back');
  });
});

describe('clusterMoved: the recorded run against the re-measured baseline', () => {
  it('says nothing within 25%, and names the percentile that moved most beyond it', () => {
    const recorded = run(spread(1000, 200, 7_600));
    expect(clusterMoved(recorded, run(spread(1000, 220, 9_000)))).toBeUndefined();
    expect(clusterMoved(undefined, recorded)).toBeUndefined();
    const note = clusterMoved(recorded, run(spread(1000, 400, 12_000)));
    expect(note).toMatch(/measured p50 3\.9\ds then and 6\.2\ds now \(\+\d+%\)/);
    expect(note).toMatch(/tune from a fresh run/);
  });
});

describe('decide over rounds: baseline and re-run alternate', () => {
  /** a run whose p99 is about `p99` ms (1,000 objects spread evenly up to it) */
  const at = (p99: number) => run(spread(1000, 100, p99 / 0.99));
  const pairs = (rounds: Array<[number, number]>) =>
    rounds.map(([before, after]) => ({ before: at(before), after: at(after) }));

  it('keeps a recommendation better in every round, the median beyond the baselines own spread', () => {
    const decision = decide(
      pairs([
        [10_000, 7_000],
        [10_500, 7_900],
        [11_000, 7_900],
      ]),
      rule(5, { recorded: at(6_000) }),
    );
    expect(decision.verdict).toBe('kept');
    expect(decision.rule?.rounds).toHaveLength(3);
    // the noise is the baselines' spread (10.0–11.0 s: the shorter 9.1% shorter), not the recorded
    // run's distance from them
    expect(decision.rule?.runToRunPct).toBeCloseTo(9.1, 0);
    expect(decision.rule?.improvementPct).toBeCloseTo(28.2, 0);
    expect(decision.rule?.beforeP99Ms).toBeCloseTo(10_500, -2);
    expect(decision.reason).toMatch(
      /^p99 time-to-ready over 3 rounds −30(\.\d)?%, −24\.\d%, −28\.\d% \(median −28\.\d%/,
    );
  });

  it('rolls back when one round was worse, whatever the median', () => {
    const decision = decide(
      pairs([
        [10_000, 7_000],
        [10_500, 11_000],
        [11_000, 7_900],
      ]),
      rule(5),
    );
    expect(decision.rule?.improvementPct).toBeGreaterThan(20);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/not better in every round/);
  });

  it('keeps a held recommendation whose median change is within the spread of its baselines', () => {
    const decision = decide(
      pairs([
        [10_000, 11_200],
        [11_000, 10_700],
        [12_000, 12_600],
      ]),
      rule(5, { held: true }),
    );
    expect(decision.rule?.runToRunPct).toBeCloseTo(16.7, 0);
    expect(decision.rule?.improvementPct).toBeLessThan(0);
    expect(decision.verdict).toBe('kept');
  });

  it('rolls back a held recommendation worse in the median by more than that spread', () => {
    const decision = decide(
      pairs([
        [10_000, 12_500],
        [10_200, 12_600],
        [10_100, 9_900],
      ]),
      rule(5, { held: true }),
    );
    expect(decision.rule?.marginPct).toBe(5);
    expect(decision.verdict).toBe('rolled-back');
  });

  it('counts new errors in any round', () => {
    const rounds = pairs([
      [10_000, 7_000],
      [10_000, 7_000],
    ]);
    rounds[1]!.after.counts.failed = 3;
    expect(decide(rounds, rule(5))).toMatchObject({ verdict: 'rolled-back', rule: { newErrors: 3 } });
  });
});
