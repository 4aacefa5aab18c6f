/** A cumulative histogram bucket: observations ≤ le. */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * histogram_quantile exactly as Prometheus computes it (promql/quantile.go bucketQuantile): sort by
 * bound, require +Inf, merge equal bounds, force monotonic counts, rank = q·count, linear interpolation
 * inside the bucket (the first bucket starts at 0), a rank in the +Inf bucket returns the second-highest
 * bound. Use it on bucket deltas between scrapes, never on raw cumulative counters.
 */
export function histogramQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  if (input.length === 0) return Number.NaN;
  const sorted = [...input].sort((a, b) => a.le - b.le);
  if (sorted[sorted.length - 1]!.le !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets: Bucket[] = [];
  for (const bucket of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.le === bucket.le) last.count += bucket.count;
    else buckets.push({ ...bucket });
  }
  let max = Number.NEGATIVE_INFINITY;
  for (const bucket of buckets) {
    if (bucket.count < max) bucket.count = max;
    else max = bucket.count;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Increase of a counter over successive samples: pairwise differences; a decrease (or a known restart
 * before a sample) is a reset, after which the new value is the increase.
 */
export function counterIncrease(
  values: number[],
  resetBefore: (index: number) => boolean = () => false,
): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) {
    const previous = values[i - 1]!;
    const value = values[i]!;
    if (Number.isNaN(previous) || Number.isNaN(value)) continue;
    total += value < previous || resetBefore(i) ? value : value - previous;
  }
  return total;
}
