import { describe, expect, it } from 'vitest';
import { goFixed, goG, percentage, scale, scaledLabel } from './units.js';

// Expected strings are what Go 1.26 printed for the same float64s (fmt.Sprintf and google/pprof's
// measurement package); 20,000 random values, exact ties included, were compared once with a Go
// program while writing this.
describe("Go's float formatting", () => {
  it.each([
    [0.125, 2, '0.12'],
    [0.375, 2, '0.38'],
    [1.125, 2, '1.12'],
    [2.5, 0, '2'],
    [3.5, 0, '4'],
    [0.005, 2, '0.01'],
    [99.995, 2, '100.00'],
    [99.985, 2, '99.98'],
    [-0.001, 2, '-0.00'],
    [512.0078125, 2, '512.01'],
    [0, 2, '0.00'],
  ])('%%.Nf of %d with %d decimals is %s', (x, decimals, expected) => {
    expect(goFixed(x, decimals)).toBe(expected);
  });

  it.each([
    [0, '0'],
    [0.5, '0.5'],
    [0.0042, '0.0042'],
    [0.0995, '0.1'],
    [0.00012345, '0.00012'],
    [0.000012345, '1.2e-05'],
    [0.83333, '0.83'],
    [0.125, '0.12'],
  ])('%%.2g of %d is %s', (x, expected) => {
    expect(goG(x, 2)).toBe(expected);
  });
});

describe('measurement.ScaledLabel and Percentage', () => {
  it.each([
    [10_000_000, 'nanoseconds', 'ms', '10ms'],
    [1_500_000_000, 'nanoseconds', 's', '1.50s'],
    [10_000_000_000, 'nanoseconds', 's', '10s'],
    [120_000_000, 'nanoseconds', 's', '0.12s'],
    [524_299, 'bytes', 'kB', '512.01kB'],
    [1_289_748, 'bytes', 'MB', '1.23MB'],
    [3 * 1_048_576, 'bytes', 'kB', '3072kB'],
    [-1_048_576, 'bytes', 'kB', '-1024kB'],
    [5, 'count', 'count', '5'],
    [0, 'nanoseconds', 'ms', '0'],
    [3_000_000_000, 'nanoseconds', 'auto', '3s'],
  ])('%d %s in %s is %s', (value, from, to, expected) => {
    expect(scaledLabel(value, from, to)).toBe(expected);
  });

  it('picks the largest unit the value is at least 1 of for "minimum"', () => {
    expect(scale(1_500_000, 'nanoseconds', 'minimum')).toEqual([1.5, 'ms']);
    expect(scale(2048, 'bytes', 'minimum')).toEqual([2, 'kB']);
    expect(scale(7, 'count', 'minimum')).toEqual([7, '']);
  });

  it.each([
    [1, 1, '  100%'],
    [1, 3, '33.33%'],
    [1, 120, ' 0.83%'],
    [0, 10, '    0%'],
    [-25, 100, '25.00%'],
    [1, 1_000_000, '0.0001%'],
    [1, 100_000_000, '1e-06%'],
  ])('percentage(%d, %d) is "%s"', (value, total, expected) => {
    expect(percentage(value, total)).toBe(expected);
  });
});
