import { describe, expect, it } from 'vitest';
import type { CpuWaitClock } from './cpu-wait.js';
import { StartLateness } from './start-lateness.js';

/** a run-queue clock that reads the given values in turn (the first at construction) */
function clockOf(values: number[]): CpuWaitClock {
  let i = 0;
  return { read: () => values[Math.min(i++, values.length - 1)]!, close: () => {} };
}

describe('start lateness', () => {
  it('counts a stall once, at its largest lateness, however many starts it delays', () => {
    const lateness = new StartLateness(null, 100);
    // on time, then a 20 ms stall that delays four starts 2 ms apart, then on time again
    for (const [intended, sent] of [
      [0, 0.1],
      [2, 22],
      [4, 22.2],
      [6, 22.4],
      [8, 22.6],
      [30, 30.2],
    ] as const)
      lateness.record(intended, sent);
    const summary = lateness.summary();
    expect(summary.lateness.count).toBe(6);
    expect(summary.lateness.max).toBeCloseTo(20, 1);
    expect(summary.lateStretches).toBe(1);
    expect(summary.lateStretchMs).toBe(20);
    expect(summary.cpuWaitMs).toBeNull();
    expect(summary.cpuWaitShare).toBeNull();
  });

  it("splits a stretch's lateness into the time the thread waited for a CPU and the rest", () => {
    // run-queue wait: 0 at start; +15 ms before the first late start; +30 ms more while catching up
    const lateness = new StartLateness(clockOf([0, 0.1, 15.1, 45.1, 45.1, 45.1]), 100);
    lateness.record(0, 0.1);
    lateness.record(2, 22); // 20 ms late: 15 ms of it waiting for a CPU
    lateness.record(4, 22.2);
    lateness.record(6, 10); // on time: the stretch closes, its wait capped at its 20 ms
    lateness.record(8, 30); // a second stretch, 22 ms late, no wait
    const summary = lateness.summary();
    expect(summary.lateStretches).toBe(2);
    expect(summary.lateStretchMs).toBe(42);
    expect(summary.cpuWaitMs).toBe(20);
    expect(summary.cpuWaitShare).toBe(0.476);
  });

  it("counts the time a start was held at the in-flight limit as the stretch's, capped at its lateness", () => {
    const lateness = new StartLateness(clockOf([0]), 2000);
    lateness.record(0, 0.1);
    lateness.held(1, 13); // 12 ms waiting for a call to end before the next start
    lateness.record(2, 16); // 14 ms late: 12 of it held
    lateness.held(15, 40); // held again while the stretch goes on: 25 ms, 37 in all, past its largest
    lateness.record(4, 40.1); // 36.1 ms late
    lateness.record(42, 42.2); // on time: the stretch closes, its held time capped at 36.1 ms
    lateness.held(43, 44); // held with the next start not yet due: no lateness, nothing counted
    lateness.record(46, 46.1);
    const summary = lateness.summary();
    expect(summary.lateStretches).toBe(1);
    expect(summary.lateStretchMs).toBe(36.1);
    expect(summary.inFlightLimit).toBe(2000);
    expect(summary.inFlightWaitMs).toBe(36.1);
    expect(summary.cpuWaitMs).toBe(0);
  });

  it('leaves starts up to 5 ms late out of the stretches', () => {
    const lateness = new StartLateness(clockOf([0, 3, 6]), 100);
    lateness.record(0, 5);
    lateness.record(2, 4);
    const summary = lateness.summary();
    expect(summary.lateStretches).toBe(0);
    expect(summary.lateStretchMs).toBe(0);
    expect(summary.cpuWaitMs).toBe(0);
    expect(summary.cpuWaitShare).toBeNull();
  });
});
