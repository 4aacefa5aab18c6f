/**
 * The common shape of a sample line, found without tokenizing it: `name{labels} value`, optional
 * blanks around the value, no timestamp, no exemplar. A scraper that has seen a series before needs
 * only its text (to recognise it) and its value; every other line goes to the tokenizer.
 */

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** Where the series text (name and labels, as written) and the value are in a line. */
export interface SimpleSample {
  seriesStart: number;
  seriesEnd: number;
  valueStart: number;
  valueEnd: number;
}

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x3a
  );
}

const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * text[start, end) as a simple sample line, or undefined (a comment, a timestamp, an exemplar, blanks
 * before "{", a quoted name: anything else). Only the outline is checked here — the tokenizer has
 * accepted the same series text before the caller trusts it.
 */
export function simpleSample(text: string, start: number, end: number): SimpleSample | undefined {
  let i = start;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  const seriesStart = i;
  while (i < end && isNameChar(text.charCodeAt(i))) i++;
  if (i === seriesStart) return undefined;
  if (i < end && text.charCodeAt(i) === OPEN) {
    let quoted = false;
    for (i++; i < end; i++) {
      const c = text.charCodeAt(i);
      if (quoted) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) quoted = false;
      } else if (c === QUOTE) quoted = true;
      else if (c === CLOSE) break;
    }
    if (i >= end) return undefined;
    i++;
  }
  const seriesEnd = i;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  if (i === seriesEnd || i === end) return undefined;
  const valueStart = i;
  while (i < end && !isBlank(text.charCodeAt(i))) i++;
  const valueEnd = i;
  while (i < end && isBlank(text.charCodeAt(i))) i++;
  return i === end ? { seriesStart, seriesEnd, valueStart, valueEnd } : undefined;
}
