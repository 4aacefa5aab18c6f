import { describe, expect, it } from 'vitest';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import { decide, percentileInterval } from './decide.js';
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
    const decision = decide(before, run(spread(60, 100, 400)), 5);
    expect(decision.verdict).toBe('kept');
    expect(decision.rule?.beyondNoise).toBe(true);
    expect(decision.rule?.improvementPct).toBeGreaterThan(90);
    expect(decision.reason).toMatch(/no new errors/);
  });

  it('rolls back an improvement smaller than --min-improvement', () => {
    const decision = decide(before, run(spread(60, 100, 400)), 99);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/less than the required 99% improvement/);
  });

  it('rolls back a p99 that moved, but within the noise of two runs', () => {
    // same shape, the top few values a little lower: the intervals overlap
    const after = run([...spread(57, 200, 11_000), 11_500, 11_600, 11_700]);
    const decision = decide(before, after, 1);
    expect(decision.rule?.improvementPct).toBeGreaterThanOrEqual(1);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.reason).toMatch(/within the noise/);
  });

  it('rolls back a faster run with new failures', () => {
    const decision = decide(before, run(spread(58, 100, 400), { failed: 1, timedOut: 1 }), 5);
    expect(decision.verdict).toBe('rolled-back');
    expect(decision.rule?.newErrors).toBe(2);
    expect(decision.reason).toMatch(/^2 more objects failed or timed out/);
  });

  it('counts only errors beyond those of the run before', () => {
    const flaky = run(spread(60, 200, 12_000), { failed: 2 });
    expect(decide(flaky, run(spread(60, 100, 400), { failed: 2 }), 5).verdict).toBe('kept');
  });

  it('rolls back a slower run, and a run where nothing became ready', () => {
    expect(decide(before, run(spread(60, 200, 20_000)), 0).verdict).toBe('rolled-back');
    expect(decide(before, run([], { ready: 0, timedOut: 60 }), 5)).toMatchObject({
      verdict: 'rolled-back',
      rule: null,
    });
  });

  it('says interrupted for an interrupted re-run, whatever it measured', () => {
    expect(decide(before, run(spread(10, 100, 200), {}, true), 5).verdict).toBe('interrupted');
  });
});
