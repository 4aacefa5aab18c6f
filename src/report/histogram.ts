import { inflateSync } from 'node:zlib';
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

const COMPRESSED_COOKIE = 0x1c849304;
const ENCODED_COOKIE = 0x1c849303;
/** a histogram of ours at 3 digits up to an hour encodes in ~100 KB at most */
const MAX_ENCODED_BYTES = 4 * 2 ** 20;
/** ~100 days in µs: a bigger range would make the counts array (allocated on decode) huge */
const MAX_TRACKABLE = 2 ** 43;

/**
 * Check the header of an encoded histogram before hdr-histogram-js allocates what it states: the
 * inflated size is bounded, and the value range and precision must be ones a counts array of a few
 * MB can hold. Throws a plain Error saying what is wrong.
 */
function checkEncoded(encoded: string): void {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 8 || (bytes.readInt32BE(0) & ~0xf0) !== COMPRESSED_COOKIE) {
    throw new Error('not an HDR histogram (compressed V2 encoding)');
  }
  const inflated = inflateSync(bytes.subarray(8, 8 + Math.max(0, bytes.readInt32BE(4))), {
    maxOutputLength: MAX_ENCODED_BYTES,
  });
  if (inflated.length < 40 || (inflated.readInt32BE(0) & ~0xf0) !== ENCODED_COOKIE) {
    throw new Error('not an HDR histogram (V2 encoding)');
  }
  const digits = inflated.readInt32BE(12);
  const lowest = Number(inflated.readBigInt64BE(16));
  const highest = Number(inflated.readBigInt64BE(24));
  if (
    !(digits >= 0 && digits <= 5) ||
    !(lowest >= 1) ||
    !(highest >= 2 * lowest && highest <= MAX_TRACKABLE)
  ) {
    throw new Error(`unsupported HDR histogram range (${lowest}…${highest}, ${digits} digits)`);
  }
}

/** Decode a summary's histogram; a corrupt or oversized one throws an Error saying why. */
export function decodeHistogram(summary: HistogramSummary): Histogram {
  try {
    checkEncoded(summary.encoded);
    return decodeFromCompressedBase64(summary.encoded, 32, false);
  } catch (error) {
    throw new Error(`histogram does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Exact merge of several summaries (shards): decode, add, summarise again. */
export function mergeSummaries(summaries: HistogramSummary[]): HistogramSummary {
  const total = newHistogram();
  for (const summary of summaries) total.add(decodeHistogram(summary));
  return summarize(total);
}
