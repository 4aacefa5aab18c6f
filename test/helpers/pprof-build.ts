import { gzipSync } from 'node:zlib';
import {
  Line,
  Location,
  Mapping,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';

/**
 * Profiles built in tests with pprof-format's encoder. A frame is one Location: a function name, or
 * several names for inlined calls (innermost first, as profile.proto orders Location.line).
 */
export type Frame = string | string[];

export interface SampleSpec {
  /** leaf first, like profile.proto */
  stack: Frame[];
  values: number[];
  labels?: Record<string, string>;
}

export interface ProfileSpec {
  sampleTypes: Array<[type: string, unit: string]>;
  defaultSampleType?: string;
  samples: SampleSpec[];
  periodType?: [string, string];
  period?: number;
  durationNanos?: number;
  timeNanos?: number;
  /** the main binary's mapping file */
  mappingFile?: string;
  /** file name for a function (focus matches file names too) */
  fileOf?: (fn: string) => string;
}

export function buildProfile(spec: ProfileSpec): Buffer {
  const strings = new StringTable();
  const functions = new Map<string, PprofFunction>();
  const locations = new Map<string, Location>();
  const fn = (name: string) => {
    let found = functions.get(name);
    if (!found) {
      found = new PprofFunction({
        id: functions.size + 1,
        name: strings.dedup(name),
        systemName: strings.dedup(name),
        filename: strings.dedup(spec.fileOf?.(name) ?? `src/${name.split('.')[0]}.go`),
      });
      functions.set(name, found);
    }
    return found;
  };
  const location = (frame: Frame) => {
    const names = typeof frame === 'string' ? [frame] : frame;
    const key = names.join('\u0000');
    let found = locations.get(key);
    if (!found) {
      found = new Location({
        id: locations.size + 1,
        mappingId: 1,
        address: 0x401000 + locations.size * 16,
        line: names.map((name, index) => new Line({ functionId: fn(name).id, line: 10 + index })),
      });
      locations.set(key, found);
    }
    return found;
  };
  const samples = spec.samples.map(
    (s) =>
      new Sample({
        locationId: s.stack.map((frame) => location(frame).id),
        value: s.values,
        label: Object.entries(s.labels ?? {}).map(([key, str]) => ({
          key: strings.dedup(key),
          str: strings.dedup(str),
        })),
      }),
  );
  const profile = new Profile({
    sampleType: spec.sampleTypes.map(
      ([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }),
    ),
    sample: samples,
    mapping: [
      new Mapping({
        id: 1,
        memoryStart: 0x400000,
        memoryLimit: 0x800000,
        filename: strings.dedup(spec.mappingFile ?? '/usr/local/bin/operator'),
        hasFunctions: true,
        hasFilenames: true,
        hasLineNumbers: true,
        hasInlineFrames: true,
      }),
    ],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    ...(spec.periodType
      ? {
          periodType: new ValueType({
            type: strings.dedup(spec.periodType[0]),
            unit: strings.dedup(spec.periodType[1]),
          }),
        }
      : {}),
    period: spec.period ?? 0,
    durationNanos: spec.durationNanos ?? 0,
    timeNanos: spec.timeNanos ?? 0,
    ...(spec.defaultSampleType ? { defaultSampleType: strings.dedup(spec.defaultSampleType) } : {}),
  });
  return gzipSync(profile.encode());
}

/** A CPU profile like Go's: samples/count and cpu/nanoseconds, 10 ms a sample. */
export function cpuProfile(samples: Array<{ stack: Frame[]; count: number }>): Buffer {
  return buildProfile({
    sampleTypes: [
      ['samples', 'count'],
      ['cpu', 'nanoseconds'],
    ],
    periodType: ['cpu', 'nanoseconds'],
    period: 10_000_000,
    durationNanos: 3_000_000_000,
    samples: samples.map((s) => ({ stack: s.stack, values: [s.count, s.count * 10_000_000] })),
  });
}
