import { describe, expect, it } from 'vitest';
import type { EffectiveSettings, TuneResult } from '../../report/sections/tune.js';
import { RECORDED, type RecordedName, recordedRun } from '../fixtures/recorded.js';
import { tune } from '../tune.js';
import { addsNoLoad } from './runs.js';

/** Which recommendations verify judges as "not worse" rather than "faster", on runs recorded from the lab. */

const tuned = (name: RecordedName) =>
  tune({
    run: recordedRun(name),
    current: structuredClone(RECORDED[name]),
    currentSource: 'recorded',
    strategy: 'balanced',
  });

describe('a recommendation that adds no load (addsNoLoad)', () => {
  it('is one the diagnosis kept workers and QPS for, though the tuner did not hold them', () => {
    const result = tuned('webhook');
    expect(result.diagnosis.bottleneck).toBe('webhook');
    expect(result.prediction?.held ?? null).toBeNull();
    expect(addsNoLoad(result)).toBe(true);
  });

  it('reads QPS ≤ 0 as no limit: lifting a limit or raising burst under one adds load, adding a limit or cutting workers does not', () => {
    const settings = (workers: number, qps: number, burst: number) => ({
      workers,
      qps,
      burst,
      batchSize: 1,
      requeueDelayMs: 0,
      timeoutMs: 30_000,
    });
    const judged = (current: EffectiveSettings, recommended: EffectiveSettings) =>
      addsNoLoad({ prediction: null, settings: { current, recommended } } as unknown as TuneResult);
    expect(judged(settings(8, 10, 20), settings(8, 10, 40))).toBe(false);
    expect(judged(settings(8, 10, 20), settings(8, -1, 0))).toBe(false);
    expect(judged(settings(8, -1, 0), settings(8, 10, 20))).toBe(true);
    expect(judged(settings(8, 10, 20), settings(4, 10, 20))).toBe(true);
    expect(judged(settings(8, 10, 20), settings(9, 10, 20))).toBe(false);
  });

  it('is not one that raises workers or QPS', () => {
    for (const name of ['workers', 'client-qps'] as const) {
      const result = tuned(name);
      const { current, recommended } = result.settings;
      expect(recommended.workers > current.workers || recommended.qps !== current.qps).toBe(true);
      expect(addsNoLoad(result)).toBe(false);
    }
  });
});
