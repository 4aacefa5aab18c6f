import { describe, expect, it } from 'vitest';
import { maxOf, minOf } from './extremes.js';

describe('maxOf and minOf', () => {
  it('take a million values, where Math.max with them spread overflows the stack', () => {
    const values = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_003);
    expect(() => Math.max(...values)).toThrow(RangeError);
    expect(maxOf(values)).toBe(values.reduce((a, b) => (b > a ? b : a)));
    expect(minOf(values)).toBe(values.reduce((a, b) => (b < a ? b : a)));
  });

  it('answer as Math.max and Math.min do for none and for NaN', () => {
    expect(maxOf([])).toBe(Math.max());
    expect(minOf([])).toBe(Math.min());
    expect(maxOf([1, Number.NaN, 3])).toBeNaN();
    expect(minOf([1, Number.NaN, 3])).toBeNaN();
  });
});
