import { describe, expect, it } from 'vitest';
import { counterIncrease, histogramQuantile } from './quantile.js';

const inf = Number.POSITIVE_INFINITY;

describe('histogram_quantile (as Prometheus)', () => {
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 60 },
    { le: 1, count: 90 },
    { le: inf, count: 100 },
  ];

  it('interpolates linearly inside the bucket, the first from 0', () => {
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1 + 0.4 * (40 / 50), 12);
    expect(histogramQuantile(0.05, buckets)).toBeCloseTo(0.05, 12);
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(1, 12);
  });

  it('returns the second-highest bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.95, buckets)).toBe(1);
    expect(histogramQuantile(1, buckets)).toBe(1);
  });

  it('handles q outside [0,1], NaN, no +Inf, no observations, one bucket', () => {
    expect(histogramQuantile(-0.1, buckets)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, buckets)).toBe(inf);
    expect(histogramQuantile(Number.NaN, buckets)).toBeNaN();
    expect(histogramQuantile(0.5, buckets.slice(0, 3))).toBeNaN();
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: inf, count: 0 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: inf, count: 5 }])).toBeNaN();
  });

  it('sorts, merges equal bounds (1, 1.0, 1e0 are one bound) and forces monotonic counts', () => {
    const messy = [
      { le: inf, count: 100 },
      { le: 1, count: 45 },
      { le: 1, count: 45 },
      { le: 0.5, count: 60 },
      { le: 0.1, count: 10 },
    ];
    expect(histogramQuantile(0.5, messy)).toBeCloseTo(histogramQuantile(0.5, buckets), 12);
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 50 },
        { le: 0.2, count: 40 },
        { le: inf, count: 100 },
      ]),
    ).toBeCloseTo(0.1, 12);
  });

  it('returns a non-positive first bound as is', () => {
    expect(
      histogramQuantile(0.1, [
        { le: -1, count: 5 },
        { le: inf, count: 10 },
      ]),
    ).toBe(-1);
  });
});

describe('counter increase with resets', () => {
  it('sums pairwise increases and treats a decrease as a reset', () => {
    expect(counterIncrease([10, 15, 20])).toBe(10);
    expect(counterIncrease([10, 15, 3, 8])).toBe(5 + 3 + 5);
  });

  it('treats a known restart as a reset even when the value went up', () => {
    expect(counterIncrease([10, 15, 40], (i) => i === 2)).toBe(5 + 40);
  });

  it('skips NaN samples', () => {
    expect(counterIncrease([1, Number.NaN, 3])).toBe(0);
  });
});
