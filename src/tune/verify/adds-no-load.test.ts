import { describe, expect, it } from 'vitest';
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

  it('is not one that raises workers or QPS', () => {
    for (const name of ['workers', 'client-qps'] as const) {
      const result = tuned(name);
      const { current, recommended } = result.settings;
      expect(recommended.workers > current.workers || recommended.qps !== current.qps).toBe(true);
      expect(addsNoLoad(result)).toBe(false);
    }
  });
});
