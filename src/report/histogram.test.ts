import { describe, expect, it } from 'vitest';
import { mergeSummaries, newHistogram, recordMs, summarize } from './histogram.js';

describe('HDR histograms', () => {
  it('keeps microsecond resolution and 3 significant digits', () => {
    const histogram = newHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(histogram, i * 0.1); // 0.1 … 100 ms
    const summary = summarize(histogram);
    expect(summary.count).toBe(1000);
    expect(summary.min).toBe(0.1);
    expect(summary.p50).toBeCloseTo(50, 1);
    expect(summary.p99).toBeCloseTo(99, 0);
    expect(summary.max).toBeCloseTo(100, 0);
  });

  it('merges shards exactly: the merge equals one histogram of all values', () => {
    const whole = newHistogram();
    const parts = [newHistogram(), newHistogram(), newHistogram()];
    for (let i = 0; i < 3000; i++) {
      const value = ((i * 7919) % 5000) / 10;
      recordMs(whole, value);
      recordMs(parts[i % 3]!, value);
    }
    const merged = mergeSummaries(parts.map((h) => summarize(h)));
    const expected = summarize(whole);
    expect({ ...merged, encoded: '' }).toEqual({ ...expected, encoded: '' });
  });
});
