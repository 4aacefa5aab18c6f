import { describe, expect, it } from 'vitest';
import { calibrateService, simulate } from './predict.js';

const base = {
  objects: 1000,
  arrivalRate: 100,
  workers: 1,
  serviceSeconds: 0.2,
  callsPerReconcile: 4,
  qps: -1,
  burst: 0,
};

describe('the controller model', () => {
  it('drains a burst at W/S per second when workers are the bottleneck', () => {
    const out = simulate(base);
    expect(out.throughput).toBeCloseTo(5, 1); // 1 worker / 0.2 s
    expect(out.reconcileMean).toBeCloseTo(0.2, 9);
    // the last object arrives at 10 s and finishes at 200 s
    expect(out.max).toBeCloseTo(1000 * 0.2 - 999 / 100, 6);
  });

  it('does not queue when capacity exceeds the arrival rate', () => {
    const out = simulate({ ...base, workers: 40 });
    expect(out.p99).toBeCloseTo(0.2, 9);
  });

  it('limits throughput to QPS/R when the client rate limiter binds, whatever the workers', () => {
    const out = simulate({ ...base, workers: 64, serviceSeconds: 0.01, qps: 20, burst: 40 });
    expect(out.throughput).toBeCloseTo(20 / 4, 0);
    expect(out.reconcileMean).toBeGreaterThan(0.01);
  });

  it('calibration removes limiter waits from the measured reconcile time', () => {
    const truth = { ...base, workers: 8, serviceSeconds: 0.05, qps: 40, burst: 80 };
    const measured = simulate(truth).reconcileMean;
    expect(measured).toBeGreaterThan(0.2);
    const { serviceSeconds: _, ...settings } = truth;
    expect(calibrateService(measured, settings)).toBeCloseTo(0.05, 3);
  });

  it('leaves the measured time alone when nothing throttled', () => {
    const { serviceSeconds: _, ...settings } = { ...base, workers: 40 };
    expect(calibrateService(0.2, settings)).toBe(0.2);
  });
});
