/**
 * The exposition is bytes: strict parsing rejects invalid UTF-8 at its line and column, lenient
 * parsing skips the lines that hold it. Decoding is TextDecoder's (fast); positions are only searched
 * for when it fails.
 */

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export interface Decoded {
  text: string;
  /** 1-based line → 1-based column of the first invalid sequence on that line (at most `maxLines`) */
  invalid: Map<number, number>;
}

/** Decodes `bytes`, whose first line is line `firstLine` of the exposition. */
export function decodeUtf8(bytes: Uint8Array, maxLines: number, firstLine = 1): Decoded {
  try {
    return { text: strictDecoder.decode(bytes), invalid: new Map() };
  } catch {
    return { text: lenientDecoder.decode(bytes), invalid: invalidPositions(bytes, maxLines, firstLine) };
  }
}

/**
 * Where the piece of `bytes` that starts at `from` ends: just past the first line feed at or after
 * `from + size`, or at the end. Each piece is whole lines, and a line feed never falls inside a UTF-8
 * sequence, so pieces decode on their own.
 */
export function pieceEnd(bytes: Uint8Array, from: number, size: number): number {
  if (from + size >= bytes.length) return bytes.length;
  const feed = bytes.indexOf(0x0a, from + size - 1);
  return feed === -1 ? bytes.length : feed + 1;
}

/** The length of the valid UTF-8 sequence at i (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const c = bytes[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function invalidPositions(bytes: Uint8Array, maxLines: number, firstLine: number): Map<number, number> {
  const invalid = new Map<number, number>();
  let line = firstLine;
  let column = 1;
  for (let i = 0; i < bytes.length && invalid.size < maxLines; ) {
    if (bytes[i] === 0x0a) {
      line++;
      column = 1;
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      if (!invalid.has(line)) invalid.set(line, column);
      i++;
    } else {
      i += length;
    }
    column += length === 4 ? 2 : 1; // columns count UTF-16 units, as in the decoded line
  }
  return invalid;
}
