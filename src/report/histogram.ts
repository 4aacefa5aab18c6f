import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import { z } from 'zod';

/**
 * Latencies live in HDR histograms with microsecond resolution and 3 significant digits, stored in the
 * RunResult as compressed base64 so shards merge exactly (decode, add, re-encode).
 */

const HIGHEST_US = 3_600_000_000; // one hour

export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export const histogramSummarySchema = z.object({
  unit: z.literal('ms'),
  count: z.number().int(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
  /** HDR histogram (µs values), compressed base64; decode with hdr-histogram-js */
  encoded: z.string(),
});
export type HistogramSummary = z.infer<typeof histogramSummarySchema>;

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function summarize(histogram: Histogram): HistogramSummary {
  const ms = (us: number) => round3(us / 1000);
  const empty = histogram.totalCount === 0;
  return {
    unit: 'ms',
    count: histogram.totalCount,
    min: empty ? 0 : ms(histogram.minNonZeroValue),
    mean: empty ? 0 : ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    // the bucket's upper bound, as after a merge: a recorded and a merged histogram summarise alike
    max: ms(histogram.getValueAtPercentile(100)),
    encoded: encodeIntoCompressedBase64(histogram),
  };
}

export function decodeHistogram(summary: HistogramSummary): Histogram {
  return decodeFromCompressedBase64(summary.encoded, 32, false);
}

/** Exact merge of several summaries (shards): decode, add, summarise again. */
export function mergeSummaries(summaries: HistogramSummary[]): HistogramSummary {
  const total = newHistogram();
  for (const summary of summaries) total.add(decodeHistogram(summary));
  return summarize(total);
}
