import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limiter.js';

/** Simulate a perfect scheduler that waits exactly as told; returns the release times. */
function releases(
  rate: number,
  burst: number,
  count: number,
  stallAt?: { index: number; ms: number },
): number[] {
  const bucket = new TokenBucket(rate, burst, 0);
  const times: number[] = [];
  let now = 0;
  while (times.length < count) {
    if (stallAt && times.length === stallAt.index) {
      now += stallAt.ms;
      stallAt = undefined;
    }
    const taken = bucket.take(now);
    if (taken.ok) times.push(now);
    else now += taken.waitMs;
  }
  return times;
}

describe('token bucket pacing', () => {
  it('spaces requests evenly at the rate, not in per-second bursts', () => {
    const times = releases(200, 1, 400);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    for (const gap of gaps) expect(gap).toBeCloseTo(5, 6);
    const achieved = (times.length - 1) / ((times.at(-1) as number) / 1000);
    expect(achieved).toBeCloseTo(200, 6);
  });

  it('lets at most `burst` go at once after a stall, then resumes the schedule', () => {
    const times = releases(100, 5, 30, { index: 10, ms: 1000 });
    const stallEnd = times[10] as number;
    expect(times.filter((t) => t === stallEnd)).toHaveLength(5);
    expect((times[15] as number) - stallEnd).toBeCloseTo(10, 6);
  });

  it('rejects impossible settings', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow();
    expect(() => new TokenBucket(10, 0, 0)).toThrow();
  });
});
