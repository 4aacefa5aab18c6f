import type { SampleTable } from './decode.js';

/**
 * The Sample messages of a profile.proto (field 2 of Profile), read with a plain varint loop into
 * typed arrays. Everything else in the file is left to pprof-format.
 */

let pos = 0;

/** A varint at buf[pos] (advancing pos), as a signed int64 in a double. */
function varint(buf: Uint8Array): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  // 8+ bytes: past 2^49, exact only through BigInt (negative int64s are 10 bytes)
  pos -= 7;
  let big = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    const byte = buf[pos++];
    if (byte === undefined) throw new Error('truncated varint');
    big |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return Number(BigInt.asIntN(64, big));
    shift += 7n;
  }
  throw new Error('varint longer than 10 bytes');
}

function skip(buf: Uint8Array, wireType: number): void {
  if (wireType === 0) varint(buf);
  else if (wireType === 1) pos += 8;
  else if (wireType === 2) {
    const length = varint(buf); // before reading pos: varint() moves it
    pos += length;
  } else if (wireType === 5) pos += 4;
  else throw new Error(`unsupported wire type ${wireType}`);
}

/** Where each Sample message's bytes are in the profile: [from, to) pairs (no per-sample objects). */
export interface SampleSpans {
  raw: Uint8Array;
  count: number;
  spans: Uint32Array;
}

/**
 * Top-level messages other than samples (strings, locations, functions, mappings) pprof-format turns
 * into objects of ~200 bytes each; real profiles have tens of thousands.
 */
const MAX_MESSAGES = 4_000_000;

/** Profile's top-level fields: the sample payloads apart, the rest re-assembled for pprof-format. */
export function splitSamples(raw: Uint8Array): { rest: Uint8Array; samples: SampleSpans } {
  let spans = new Uint32Array(1024);
  let count = 0;
  // runs of consecutive kept fields as [from, to) pairs: their number stays small
  const keep: Array<[number, number]> = [];
  let keptBytes = 0;
  let messages = 0;
  pos = 0;
  while (pos < raw.length) {
    const fieldStart = pos;
    const tag = varint(raw);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw new Error(`invalid field number 0 at byte ${fieldStart}`);
    if (field === 2 && wireType === 2) {
      const length = varint(raw);
      if (2 * count + 2 > spans.length) {
        const grown = new Uint32Array(spans.length * 2);
        grown.set(spans);
        spans = grown;
      }
      spans[2 * count] = pos;
      spans[2 * count + 1] = pos + length;
      count++;
      pos += length;
    } else {
      skip(raw, wireType);
      if (++messages > MAX_MESSAGES) throw new Error(`more than ${MAX_MESSAGES} messages besides samples`);
      const last = keep[keep.length - 1];
      if (last && last[1] === fieldStart) last[1] = pos;
      else keep.push([fieldStart, pos]);
      keptBytes += pos - fieldStart;
    }
    if (pos > raw.length) throw new Error('truncated message');
  }
  const rest = new Uint8Array(keptBytes);
  let at = 0;
  for (const [from, to] of keep) {
    rest.set(raw.subarray(from, to), at);
    at += to - from;
  }
  return { rest, samples: { raw, count, spans } };
}

export function readSamples(
  payloads: SampleSpans,
  types: number,
  locationIds: number[],
  label: (key: number, value: number) => [string, string],
): SampleTable {
  // location id → index; ids are small and dense in practice (Go numbers them 1…n)
  const maxId = locationIds.reduce((max, id) => Math.max(max, id), 0);
  const dense = maxId <= 4 * locationIds.length + 1024;
  const denseIndex = dense ? new Int32Array(maxId + 1).fill(-1) : undefined;
  const sparseIndex = dense ? undefined : new Map<number, number>();
  locationIds.forEach((id, index) => {
    if (denseIndex) denseIndex[id] = index;
    else sparseIndex!.set(id, index);
  });

  const { count, spans } = payloads;
  const buf = payloads.raw;
  const start = new Uint32Array(count + 1);
  // every frame takes at least one byte: the samples' size bounds the frame count
  let bound = 0;
  for (let s = 0; s < count; s++) bound += spans[2 * s + 1]! - spans[2 * s]!;
  // a sample carries one value per type, each at least a byte: more than that is no profile
  if (count * types > bound)
    throw new Error(`${count} samples × ${types} types do not fit in ${bound} bytes`);
  let frames = new Uint32Array(bound);
  const values = new Float64Array(count * types);
  const labels = new Map<number, Record<string, string[]>>();
  const missing = (id: number, sample: number) =>
    new Error(`sample ${sample} references unknown location ${id}`);
  let frame = 0;
  for (let s = 0; s < count; s++) {
    const stop = spans[2 * s + 1]!;
    start[s] = frame;
    let value = 0;
    pos = spans[2 * s]!;
    while (pos < stop) {
      const tag = varint(buf);
      if (tag === 0x0a || tag === 0x08) {
        const end = tag === 0x0a ? varint(buf) + pos : pos + 1;
        // the hot loop: ids of up to 4 bytes decoded inline, with a local cursor
        let p = pos;
        while (p < end) {
          const from = p;
          let b = buf[p++]!;
          let id = b & 0x7f;
          if (b >= 0x80) {
            b = buf[p++]!;
            id |= (b & 0x7f) << 7;
            if (b >= 0x80) {
              b = buf[p++]!;
              id |= (b & 0x7f) << 14;
              if (b >= 0x80) {
                b = buf[p++]!;
                id |= (b & 0x7f) << 21;
                if (b >= 0x80) {
                  pos = from;
                  id = varint(buf);
                  p = pos;
                }
              }
            }
          }
          const found =
            denseIndex !== undefined ? (id <= maxId ? denseIndex[id]! : -1) : (sparseIndex!.get(id) ?? -1);
          if (found < 0) throw missing(id, s);
          frames[frame++] = found;
        }
        pos = p;
      } else if (tag === 0x12) {
        const end = varint(buf) + pos;
        while (pos < end) {
          const v = varint(buf);
          if (value < types) values[s * types + value] = v;
          value++;
        }
      } else if (tag === 0x10) {
        const v = varint(buf);
        if (value < types) values[s * types + value] = v;
        value++;
      } else if (tag === 0x1a) {
        const end = varint(buf) + pos;
        let key = 0;
        let str = 0;
        while (pos < end) {
          const t = varint(buf);
          if (t === 0x08) key = varint(buf);
          else if (t === 0x10) str = varint(buf);
          else skip(buf, t % 8);
        }
        if (str !== 0) {
          const [k, v] = label(key, str);
          const record = labels.get(s) ?? {};
          record[k] = [...(record[k] ?? []), v];
          labels.set(s, record);
        }
      } else skip(buf, tag % 8);
    }
    if (value !== types) {
      throw new Error(`sample ${s} has ${value} values, the profile has ${types} sample types`);
    }
  }
  start[count] = frame;
  if (frame < bound) frames = frames.slice(0, frame);
  return { count, start, frames, values, labels };
}
