import { gunzipSync, gzipSync } from 'node:zlib';
import { Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { describe, expect, it } from 'vitest';
import { buildProfile } from '../../../test/helpers/pprof-build.js';
import { VitictlError } from '../../errors.js';
import { decodeProfile, type PprofProfile } from './decode.js';

/** One sample of the packed arrays, as plain arrays. */
function sampleAt(profile: PprofProfile, index: number) {
  const { samples } = profile;
  const types = profile.sampleTypes.length;
  return {
    locations: [...samples.frames.subarray(samples.start[index], samples.start[index + 1])].map(
      (i) => profile.locations[i]!,
    ),
    values: [...samples.values.subarray(index * types, (index + 1) * types)],
    labels: samples.labels.get(index) ?? {},
  };
}

describe('decodeProfile', () => {
  const gz = buildProfile({
    sampleTypes: [
      ['samples', 'count'],
      ['cpu', 'nanoseconds'],
    ],
    defaultSampleType: 'cpu',
    samples: [
      {
        stack: [['inlined', 'outer'], 'main.main'],
        values: [3, 30_000_000],
        labels: { controller: 'machine' },
      },
      // values of 5+ varint bytes and negative int64s come back from pprof-format as BigInts
      { stack: ['main.main'], values: [-2, 2 ** 40] },
    ],
    timeNanos: 1_700_000_000_000_000_000,
    durationNanos: 3_000_000_000,
  });

  it('resolves strings, ids and inline lines; keeps int64 signs', () => {
    const profile = decodeProfile(gz);
    expect(profile.sampleTypes).toEqual([
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    expect(profile.defaultSampleType).toBe('cpu');
    expect(profile.samples.count).toBe(2);
    const first = sampleAt(profile, 0);
    const second = sampleAt(profile, 1);
    expect(first.locations[0]!.lines.map((line) => line.fn?.name)).toEqual(['inlined', 'outer']);
    expect(first.labels).toEqual({ controller: ['machine'] });
    expect(second.values).toEqual([-2, 2 ** 40]);
    expect(profile.durationNanos).toBe(3_000_000_000);
    expect(profile.timeNanos).toBe(1_700_000_000_000_000_000n);
    expect(profile.mappings[0]?.file).toBe('/usr/local/bin/operator');
  });

  it('reads uncompressed profile.proto too', () => {
    expect(decodeProfile(gunzipSync(gz)).samples.count).toBe(2);
  });

  it('rejects what is not a profile with an input error', () => {
    expect(() => decodeProfile(Buffer.from('<html>404 page not found</html>'))).toThrow(VitictlError);
    expect(() => decodeProfile(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toThrow(/cannot decompress/);
    expect(() => decodeProfile(Buffer.alloc(0))).toThrow(/empty profile/);
  });

  it('rejects samples that point at missing locations or carry the wrong number of values', () => {
    const strings = new StringTable();
    const vt = new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') });
    const dangling = new Profile({
      sampleType: [vt],
      sample: [new Sample({ locationId: [7], value: [1] })],
      location: [new Location({ id: 1 })],
      stringTable: strings,
    });
    expect(() => decodeProfile(dangling.encode())).toThrow(/unknown location 7/);
    const short = new Profile({
      sampleType: [vt, vt],
      sample: [new Sample({ locationId: [1], value: [1] })],
      location: [new Location({ id: 1 })],
      stringTable: strings,
    });
    expect(() => decodeProfile(short.encode())).toThrow(/has 1 values, the profile has 2 sample types/);
  });
});

describe('decodeProfile bounds', () => {
  it('stops decompressing a gzip bomb at the limit, in bounded memory', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 2 ** 20));
    const before = process.memoryUsage().rss;
    const started = performance.now();
    let refused: unknown;
    try {
      decodeProfile(bomb, 'zeros.pb.gz', 8 * 2 ** 20);
    } catch (error) {
      refused = error;
    }
    expect(performance.now() - started).toBeLessThan(2000);
    expect(refused).toMatchObject({
      message: 'decompresses to more than 8 MiB',
      location: { file: 'zeros.pb.gz' },
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  it('refuses zeros within the limit at once: field 0 does not exist', () => {
    expect(() => decodeProfile(gzipSync(Buffer.alloc(2 ** 20)), 'zeros.pb.gz')).toThrow(
      /invalid field number 0/,
    );
  });

  it('refuses more sample values than the samples have bytes', () => {
    const strings = new StringTable();
    const vt = new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') });
    const types = new Profile({
      sampleType: Array.from({ length: 1000 }, () => vt),
      sample: [new Sample({ locationId: [], value: [1] })],
      stringTable: strings,
    });
    expect(() => decodeProfile(types.encode(), 'wide.pb')).toThrow(/1 samples × 1000 types do not fit/);
  });
});
