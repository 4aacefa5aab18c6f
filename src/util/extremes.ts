/**
 * The largest and smallest of many numbers. Math.max with the values spread passes every value as an
 * argument and throws "Maximum call stack size exceeded" past ~100,000 of them (a long run's series).
 * NaN wins, as with Math.max; none gives -Infinity (max) or Infinity (min), as with Math.max().
 */
export function maxOf(values: Iterable<number>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value > max) max = value;
  }
  return max;
}

export function minOf(values: Iterable<number>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value < min) min = value;
  }
  return min;
}
