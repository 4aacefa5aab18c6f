import { describe, expect, it } from 'vitest';
import type { EffectiveSettings, ModelOutput } from '../report/sections/tune.js';
import { largestStep, smallestRaise, stepFraction, stepToward } from './prediction.js';

const settings = (workers: number, qps: number, burst: number): EffectiveSettings => ({
  workers,
  qps,
  burst,
  batchSize: 1,
  requeueDelayMs: 0,
  timeoutMs: 0,
});

/** A model whose p99 falls with workers: only the settings matter to the step search. */
const output = (s: EffectiveSettings): ModelOutput => ({
  p50Ms: 1000 / s.workers,
  p90Ms: 1500 / s.workers,
  p99Ms: 2000 / s.workers,
  maxMs: 2000 / s.workers,
  reconcileMeanMs: 100,
  throughput: s.workers,
  apiserverPeakRps: 10 * s.workers,
});

describe('a step toward settings beyond what the run saw', () => {
  it('moves each raised knob the same share of the way as a ratio, rounded down', () => {
    expect(stepToward(settings(1, 5, 10), settings(32, 500, 1000), 0.5)).toMatchObject({
      workers: 5, // √32 = 5.66
      qps: 50,
      burst: 100,
    });
    expect(stepToward(settings(1, 5, 10), settings(32, 500, 1000), 0)).toMatchObject(settings(1, 5, 10));
    expect(stepToward(settings(1, 5, 10), settings(32, 500, 1000), 1)).toMatchObject(settings(32, 500, 1000));
  });

  it('takes lowered knobs, a new limit and a lifted one as the target asks', () => {
    expect(stepToward(settings(16, -1, 0), settings(4, 100, 200), 0.5)).toMatchObject(settings(4, 100, 200));
    expect(stepToward(settings(2, 10, 20), settings(8, -1, 0), 0.5)).toMatchObject({ workers: 4, qps: -1 });
  });

  it('says how far a step went by the knob that went least far', () => {
    expect(stepFraction(settings(1, 5, 10), settings(16, 500, 1000), settings(4, 50, 100))).toBeCloseTo(
      0.5,
      9,
    );
    expect(stepFraction(settings(4, -1, 0), settings(2, -1, 0), settings(2, -1, 0))).toBe(1);
  });

  it('finds the largest step the model can predict', () => {
    const evaluate = (s: EffectiveSettings) => ({
      output: output(s),
      outside: s.workers > 6 ? [`${s.workers} workers is too many`] : [],
    });
    const found = largestStep(evaluate, settings(1, 10, 20), settings(64, 640, 1280));
    expect(found?.settings.workers).toBe(6);
    expect(found?.output.p99Ms).toBeCloseTo(2000 / 6, 9);
  });

  it('finds none when even the smallest change is beyond what the run saw', () => {
    const evaluate = (s: EffectiveSettings) => ({
      output: output(s),
      outside: s.workers > 1 || s.qps > 10 || s.burst > 20 ? ['beyond'] : [],
    });
    expect(largestStep(evaluate, settings(1, 10, 20), settings(64, 640, 1280))).toBeNull();
  });
});

describe('smallestRaise', () => {
  it('raises each knob the target raises by one, and leaves the others as they are', () => {
    expect(smallestRaise(settings(4, 10, 20), settings(16, 10, 40))).toEqual(settings(5, 10, 21));
    // no limit is the highest QPS there is
    expect(smallestRaise(settings(4, 10, 20), settings(4, -1, 20))).toEqual(settings(4, 11, 20));
    // fewer workers and a lower QPS add no load
    expect(smallestRaise(settings(4, 10, 20), settings(2, 5, 20))).toBeNull();
    expect(smallestRaise(settings(4, -1, 0), settings(4, -1, 0))).toBeNull();
  });
});
