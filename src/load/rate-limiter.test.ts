import { describe, expect, it } from 'vitest';
import { EvenSchedule } from './rate-limiter.js';

/** Drive the schedule with a scheduler whose wake-ups are `lateMs` late; returns start times. */
function run(
  rate: number,
  burst: number,
  count: number,
  options: { lateMs?: number; stall?: { index: number; ms: number } } = {},
) {
  const schedule = new EvenSchedule(rate, burst, 0);
  const starts: number[] = [];
  let now = 0;
  let stall = options.stall;
  while (starts.length < count) {
    if (stall && starts.length === stall.index) {
      now += stall.ms;
      stall = undefined;
    }
    const next = schedule.next(now);
    if (next.go) starts.push(now);
    else now += next.waitMs + (options.lateMs ?? 0);
  }
  return { starts, slips: schedule.slips };
}

describe('even open-loop schedule', () => {
  it('spaces starts evenly at the rate', () => {
    const { starts } = run(200, 1, 400);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    for (const gap of gaps) expect(gap).toBeCloseTo(5, 6);
  });

  it('keeps the average rate when every wake-up is late (timer granularity)', () => {
    const { starts, slips } = run(500, 1, 1000, { lateMs: 1 });
    const achieved = ((starts.length - 1) * 1000) / ((starts.at(-1) as number) - (starts[0] as number));
    expect(achieved).toBeGreaterThan(500 * 0.99);
    expect(slips).toBe(0);
  });

  it('catches up a short stall within the burst, back to back', () => {
    const { starts, slips } = run(100, 5, 30, { stall: { index: 10, ms: 30 } });
    const stallEnd = starts[10] as number;
    expect(starts.filter((t) => t === stallEnd)).toHaveLength(3); // two overdue and the one due now
    expect(slips).toBe(0);
    expect((starts[29] as number) - (starts[0] as number)).toBeCloseTo(290, 6);
  });

  it('spreads a catch-up: no 100 ms window holds more than 1.2× the rate, and the debt is still repaid', () => {
    const { starts, slips } = run(1000, 1000, 2000, { stall: { index: 100, ms: 200 } });
    let most = 0;
    for (let first = 0, last = 0; last < starts.length; last++) {
      while ((starts[first] as number) <= (starts[last] as number) - 100) first++;
      most = Math.max(most, last - first + 1);
    }
    expect(most).toBe(120);
    expect(slips).toBe(0);
    // 200 starts behind, repaid at 200/s above the rate: back on the schedule one second later
    expect((starts[1999] as number) - (starts[0] as number)).toBeCloseTo(1999, 0);
  });

  it('slips (and counts it) after a stall longer than the burst, instead of flooding', () => {
    const { starts, slips } = run(100, 5, 30, { stall: { index: 10, ms: 1000 } });
    const stallEnd = starts[10] as number;
    expect(starts.filter((t) => t === stallEnd)).toHaveLength(1);
    expect(slips).toBe(1);
    expect((starts[11] as number) - stallEnd).toBeCloseTo(10, 6);
  });

  it('rejects impossible settings', () => {
    expect(() => new EvenSchedule(0, 1, 0)).toThrow();
    expect(() => new EvenSchedule(10, 0, 0)).toThrow();
  });
});
