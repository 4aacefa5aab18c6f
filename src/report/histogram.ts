import { inflateSync } from 'node:zlib';
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import { z } from 'zod';
import { inputError } from '../errors.js';

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

export const latencyUnitSchema = z.enum(['ms', 'us']);
export type LatencyUnit = z.infer<typeof latencyUnitSchema>;

/**
 * The one latency summary of a RunResult: apply latencies in ms, webhook latencies in µs (they are
 * sub-millisecond), the same percentiles for both, and the histogram itself so shards merge exactly.
 */
export const latencySummarySchema = z.object({
  unit: latencyUnitSchema,
  count: z.number().int(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  p999: z.number(),
  p9999: z.number(),
  max: z.number(),
  /** HDR histogram (µs values), compressed base64; decode with hdr-histogram-js */
  encoded: z.string(),
});
export type LatencySummary = z.infer<typeof latencySummarySchema>;

/** The summary's statistics that gates and views read by name. */
export type LatencyStat = 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'p9999' | 'mean' | 'max' | 'min';

/** Percentile of each named statistic (mean, min and max have none). */
export const STAT_PERCENTILES: Partial<Record<LatencyStat, number>> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
  p9999: 99.99,
};

const msOf = (us: number) => Math.round(us) / 1000;

export function summarize<U extends LatencyUnit = 'ms'>(
  histogram: Histogram,
  unit: U = 'ms' as U,
): LatencySummary & { unit: U } {
  const value = (us: number) => (unit === 'ms' ? msOf(us) : us);
  const empty = histogram.totalCount === 0;
  const at = (p: number) => value(histogram.getValueAtPercentile(p));
  return {
    unit,
    count: histogram.totalCount,
    min: empty ? 0 : value(histogram.minNonZeroValue),
    mean: empty ? 0 : unit === 'ms' ? Math.round(histogram.mean) / 1000 : +histogram.mean.toFixed(1),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    p9999: at(99.99),
    // the bucket's upper bound, as after a merge: a recorded and a merged histogram summarise alike
    max: at(100),
    encoded: encodeIntoCompressedBase64(histogram),
  };
}

/** A statistic of a summary in ms, whatever unit the summary keeps. */
export function statMs(summary: LatencySummary, stat: LatencyStat): number {
  return summary.unit === 'us' ? summary[stat] / 1000 : summary[stat];
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
export function decodeHistogram(summary: Pick<LatencySummary, 'encoded'>): Histogram {
  try {
    checkEncoded(summary.encoded);
    return decodeFromCompressedBase64(summary.encoded, 32, false);
  } catch (error) {
    throw new Error(`histogram does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Exact merge of several summaries (shards): decode, add, summarise again in their unit (all must
 * share one; an empty list is an empty ms summary).
 */
export function mergeSummaries<S extends LatencySummary>(summaries: S[]): S {
  const unit = summaries[0]?.unit ?? 'ms';
  if (summaries.some((summary) => summary.unit !== unit)) {
    // only files can bring two units together (runs written in ms and in another unit)
    throw inputError(
      `cannot merge latency summaries in different units (${unit} and ${summaries.find((s) => s.unit !== unit)?.unit})`,
      { hint: 'merge the run.json files vitictl wrote, unedited' },
    );
  }
  const total = newHistogram();
  for (const summary of summaries) total.add(decodeHistogram(summary));
  return summarize(total, unit) as S;
}
