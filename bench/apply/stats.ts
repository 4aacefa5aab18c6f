/** Small order statistics for the apply bench (nearest-rank percentiles on exact values). */

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export const round = (value: number, digits = 3) => +value.toFixed(digits);

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** the middle value (nearest rank) of values in any order */
export const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export function summarize(values: number[], digits = 1): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((total, value) => total + value, 0) / Math.max(1, sorted.length);
  return {
    count: sorted.length,
    min: round(sorted[0] ?? Number.NaN, digits),
    p50: round(percentile(sorted, 50), digits),
    p90: round(percentile(sorted, 90), digits),
    p99: round(percentile(sorted, 99), digits),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, digits),
    mean: round(mean, digits),
  };
}

/** A poll with period P from `start` sees a change at the first tick at or after it: an idealised lower bound. */
export const pollError = (truth: number, start: number, periodMs: number) =>
  start + Math.ceil((truth - start) / periodMs) * periodMs - truth;
