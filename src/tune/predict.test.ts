import { describe, expect, it } from 'vitest';
import {
  calibrateService,
  calibrateToMeasured,
  lognormalSigma,
  type ModelInput,
  simulate,
} from './predict.js';

const base: ModelInput = {
  objects: 1000,
  arrivalRate: 100,
  workers: 1,
  reconcilesPerObject: 1,
  workSeconds: 0.2,
  workSigma: 0,
  callsPerReconcile: 4,
  qps: -1,
  burst: 0,
  apiserver: null,
  backgroundRps: 0,
  offsetSeconds: 0,
  replications: 1,
  seed: 1,
};

describe('the controller model', () => {
  it('drains a burst at W/S per second when workers are the bottleneck', () => {
    const out = simulate(base);
    expect(out.throughput).toBeCloseTo(5, 1); // 1 worker / 0.2 s
    expect(out.reconcileMeanMs).toBeCloseTo(200, 6);
    // the last object arrives at 10 s and finishes at 200 s
    expect(out.maxMs).toBeCloseTo((1000 * 0.2 - 999 / 100) * 1000, 3);
  });

  it('does not queue when capacity exceeds the arrival rate', () => {
    expect(simulate({ ...base, workers: 40 }).p99Ms).toBeCloseTo(200, 6);
  });

  it('limits throughput to QPS/R when the client rate limiter binds, whatever the workers', () => {
    const out = simulate({ ...base, workers: 64, workSeconds: 0.01, qps: 20, burst: 40 });
    expect(out.throughput).toBeCloseTo(20 / 4, 0);
    expect(out.reconcileMeanMs).toBeGreaterThan(10);
  });

  it('slows every call as the API server is offered more requests', () => {
    const apiserver = { baseMs: 10, msPerRps: 1 };
    const light = simulate({ ...base, workers: 40, apiserver, arrivalRate: 10 });
    const heavy = simulate({ ...base, workers: 40, apiserver, arrivalRate: 50, backgroundRps: 100 });
    expect(heavy.reconcileMeanMs).toBeGreaterThan(light.reconcileMeanMs + 4 * 100);
    expect(heavy.apiserverPeakRps).toBeGreaterThan(light.apiserverPeakRps);
  });

  it('sends an object back to the queue until its last reconcile', () => {
    const twice = simulate({ ...base, objects: 10, arrivalRate: 1000, workers: 1, reconcilesPerObject: 2 });
    // 20 reconciles of 0.2 s on one worker: the last object (arrived at 9 ms) is ready at 4 s
    expect(twice.maxMs).toBeCloseTo(4000 - 9, 6);
    expect(twice.reconcileMeanMs).toBeCloseTo(200, 6);
  });

  it('gives a distribution from variable work, the same one for the same seed', () => {
    const input = { ...base, workers: 40, arrivalRate: 10, workSigma: 0.5, replications: 5 };
    const out = simulate(input);
    expect(out.p99Ms).toBeGreaterThan(1.5 * out.p50Ms);
    expect(simulate(input)).toEqual(out);
  });

  it('takes σ of the lognormal from the mean and the p95', () => {
    const sigma = lognormalSigma(0.2, 0.4);
    // p95/mean of a lognormal: exp(1.645σ − σ²/2)
    expect(Math.exp(1.645 * sigma - (sigma * sigma) / 2)).toBeCloseTo(2, 9);
    expect(lognormalSigma(0.2, 0.19)).toBe(0);
    expect(lognormalSigma(0.2, null)).toBe(0);
  });

  it('calibration removes limiter waits from the measured reconcile time', () => {
    const truth = { ...base, workers: 8, workSeconds: 0.05, qps: 40, burst: 80 };
    const measured = simulate(truth).reconcileMeanMs / 1000;
    expect(measured).toBeGreaterThan(0.2);
    const { workSeconds: _, ...settings } = truth;
    expect(calibrateService(measured, settings)).toBeCloseTo(0.05, 3);
  });

  it('leaves the measured time alone when nothing throttled', () => {
    const { workSeconds: _, ...settings } = { ...base, workers: 40 };
    expect(calibrateService(0.2, settings)).toBe(0.2);
  });

  it('reproduces a run it did not see the work of: scale for the spread, offset for the median', () => {
    const truth = simulate({ ...base, workSeconds: 0.3, offsetSeconds: 2 });
    const calibrated = calibrateToMeasured(base, truth, 0);
    expect(calibrated.workScale).toBeCloseTo(1.5, 1);
    expect(calibrated.offsetSeconds).toBeCloseTo(2, 0);
    expect(calibrated.output.p99Ms / truth.p99Ms).toBeCloseTo(1, 1);
  });

  it('keeps the measured work when the spread could only be bought with a p50 the run did not have', () => {
    // idle workers: time to ready is about one reconcile, with a tail the work's own spread lacks
    const idle: ModelInput = { ...base, workers: 32, arrivalRate: 20, objects: 100, workSigma: 0.1 };
    const bare = simulate(idle);
    const measured = { p50Ms: bare.p50Ms, p99Ms: bare.p50Ms + 2 * (bare.p99Ms - bare.p50Ms) };
    const calibrated = calibrateToMeasured(idle, measured, 0);
    expect(calibrated.workScale).toBe(1);
    expect(calibrated.output.p50Ms / measured.p50Ms).toBeCloseTo(1, 2);
  });
});
