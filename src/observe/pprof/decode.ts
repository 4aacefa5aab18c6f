import { Profile } from 'pprof-format';
import { inputError } from '../../errors.js';
import { formatBytes, gunzipBounded, MiB, readBoundedFile } from '../../util/read-input.js';
import { shownFunctionName } from './names.js';
import { readSamples, type SampleSpans, splitSamples } from './samples.js';

/**
 * A decoded profile.proto with every string resolved and every id turned into a reference, the shape
 * google/pprof's `profile` package works on after `postDecode`. Samples are columnar (typed arrays):
 * a 10 MB profile holds millions of frames.
 */
export interface ValueType {
  type: string;
  unit: string;
}

export interface PprofMapping {
  id: number;
  file: string;
  buildId: string;
  hasFunctions: boolean;
}

export interface PprofFunction {
  id: number;
  name: string;
  systemName: string;
  filename: string;
  startLine: number;
}

export interface PprofLine {
  /** undefined when the line names no function (or one the profile does not define) */
  fn: PprofFunction | undefined;
  line: number;
}

export interface PprofLocation {
  id: number;
  mapping: PprofMapping | undefined;
  /** as a double: exact below 2^53, which user-space addresses are */
  address: number;
  /** innermost first: lines[0] is the inlined callee, the last line the function the address is in */
  lines: PprofLine[];
}

export interface SampleTable {
  count: number;
  /** sample i's frames are frames[start[i]] … frames[start[i + 1] - 1] */
  start: Uint32Array;
  /** indices into PprofProfile.locations, leaf first */
  frames: Uint32Array;
  /** row-major: sample i's value of sample type t is values[i * types + t] */
  values: Float64Array;
  /** string labels (pprof labels, e.g. controller="machine") of the samples that have any */
  labels: Map<number, Record<string, string[]>>;
}

export interface PprofProfile {
  sampleTypes: ValueType[];
  /** "" when the profile names none */
  defaultSampleType: string;
  samples: SampleTable;
  locations: PprofLocation[];
  functions: PprofFunction[];
  mappings: PprofMapping[];
  dropFrames: string;
  keepFrames: string;
  /** 0 when unknown */
  timeNanos: bigint;
  durationNanos: number;
  periodType: ValueType | undefined;
  period: number;
  comments: string[];
  docUrl: string;
}

type Numeric = number | bigint;

// pprof-format hands out varints of 5+ bytes as unsigned BigInts: negative int64 values come back
// as 2^64 - x
const int64 = (value: Numeric): number =>
  typeof value === 'number' ? value : Number(BigInt.asIntN(64, value));
const uint64 = (value: Numeric): number => (typeof value === 'number' ? value : Number(value));

/**
 * Decode a profile.proto, gzipped (as Go serves it) or not. pprof-format decodes every message but
 * the samples; those (nine tenths of a big profile) go straight into typed arrays (samples.ts),
 * because a Sample object per sample costs seconds on a 10 MB profile.
 */
/**
 * Profiles larger than this (decompressed) are refused: `go tool pprof` needs ~1.5 GB for one, and a
 * small gzip of zeros decompresses to any size. `--max-profile-size` (pprof top, capture, goroutines)
 * raises it.
 */
export const DEFAULT_MAX_PROFILE_BYTES = 256 * MiB;

export const TOO_BIG_HINT = 'raise the limit with --max-profile-size MiB if the profile is genuine';

/**
 * Decode a profile.proto, gzipped (as Go serves it) or not. pprof-format decodes every message but
 * the samples; those (nine tenths of a big profile) go straight into typed arrays (samples.ts),
 * because a Sample object per sample costs seconds on a 10 MB profile.
 */
const CAPTURE_HINT = 'capture one with vitictl pprof capture, or curl …/debug/pprof/heap > heap.pb.gz';
/** A profile.proto that decodes but contradicts itself: made or damaged by something else. */
const BROKEN_HINT =
  'the profile is inconsistent (a writer other than Go, or damaged): capture it again with vitictl pprof capture';

export function decodeProfile(
  data: Uint8Array,
  source = 'profile',
  maxBytes = DEFAULT_MAX_PROFILE_BYTES,
): PprofProfile {
  const gzipped = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
  const raw: Uint8Array = gzipped ? gunzipBounded(data, { file: source }, maxBytes, TOO_BIG_HINT) : data;
  if (raw.length > maxBytes) {
    throw inputError(`${source}: ${formatBytes(raw.length)}, more than ${formatBytes(maxBytes)}`, {
      hint: TOO_BIG_HINT,
    });
  }
  if (raw.length === 0) throw inputError(`${source}: empty profile`, { hint: CAPTURE_HINT });
  const notProfile = (error: unknown) =>
    inputError(`${source}: not a profile.proto (pprof) file: ${(error as Error).message}`, {
      hint: CAPTURE_HINT,
    });
  let decoded: Profile;
  let split: ReturnType<typeof splitSamples>;
  try {
    split = splitSamples(raw);
    decoded = Profile.decode(split.rest);
  } catch (error) {
    throw notProfile(error);
  }
  return resolve(decoded, split.samples, source);
}

function resolve(decoded: Profile, sampleBytes: SampleSpans, source: string): PprofProfile {
  const strings = decoded.stringTable.strings;
  const str = (index: Numeric): string => {
    const value = strings[uint64(index)];
    if (value === undefined)
      throw inputError(`${source}: string index ${index} outside the string table`, { hint: BROKEN_HINT });
    return value;
  };
  const valueType = (vt: { type: Numeric; unit: Numeric }): ValueType => ({
    type: str(vt.type),
    unit: str(vt.unit),
  });

  const mappings = decoded.mapping.map(
    (m): PprofMapping => ({
      id: uint64(m.id),
      file: str(m.filename),
      buildId: str(m.buildId),
      hasFunctions: m.hasFunctions,
    }),
  );
  const mappingById = new Map(mappings.map((m) => [m.id, m]));
  const functions = decoded.function.map(
    (f): PprofFunction => ({
      id: uint64(f.id),
      name: shownFunctionName(str(f.name), str(f.systemName)),
      systemName: str(f.systemName),
      filename: str(f.filename),
      startLine: int64(f.startLine),
    }),
  );
  const functionById = new Map(functions.map((f) => [f.id, f]));
  const locations = decoded.location.map(
    (l): PprofLocation => ({
      id: uint64(l.id),
      mapping: mappingById.get(uint64(l.mappingId)),
      address: uint64(l.address),
      lines: l.line.map((line) => ({
        fn: functionById.get(uint64(line.functionId)),
        line: int64(line.line),
      })),
    }),
  );
  const sampleTypes = decoded.sampleType.map(valueType);
  let samples: SampleTable;
  try {
    samples = readSamples(
      sampleBytes,
      sampleTypes.length,
      locations.map((l) => l.id),
      (key, value) => [str(key), str(value)],
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'VitictlError') throw error;
    throw inputError(`${source}: ${(error as Error).message}`, { hint: BROKEN_HINT });
  }
  return {
    sampleTypes,
    defaultSampleType: str(decoded.defaultSampleType),
    samples,
    locations,
    functions,
    mappings,
    dropFrames: str(decoded.dropFrames),
    keepFrames: str(decoded.keepFrames),
    timeNanos: BigInt.asIntN(64, BigInt(decoded.timeNanos)),
    durationNanos: int64(decoded.durationNanos),
    periodType: decoded.periodType ? valueType(decoded.periodType) : undefined,
    period: int64(decoded.period),
    comments: decoded.comment.map(str),
    docUrl: str(decoded.docUrl),
  };
}

export async function readProfileFile(
  file: string,
  maxBytes = DEFAULT_MAX_PROFILE_BYTES,
): Promise<PprofProfile> {
  return decodeProfile(await readBoundedFile(file, 'profile', maxBytes, TOO_BIG_HINT), file, maxBytes);
}
