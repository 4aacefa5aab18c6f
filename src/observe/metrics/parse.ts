import { isUtf8 } from 'node:buffer';
import { ExpositionError, type Fail } from './exposition-error.js';
import { FamilyAssembler } from './families.js';
import { tokenizeLine } from './lexer.js';
import type { Exposition, ParseProblem } from './model.js';
import type { Syntax } from './tokens.js';
import { type Decoded, decodeUtf8, pieceEnd } from './utf8.js';

/**
 * A parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0, written from the specifications
 * (why not an npm parser: docs/decisions.md). Strict mode rejects what the specifications reject, at
 * its line and column; lenient mode (for scraping) skips a bad line, records the problem and goes on,
 * accepting what Prometheus' scraper accepts.
 *
 * Lines are tokenized by lexer.ts, assembled into families by families.ts, and checked by the named
 * rules of sample-rules.ts and point-rules.ts.
 */

export { ExpositionError } from './exposition-error.js';

/** Where input can grow, a bound: past it strict mode fails, lenient mode skips (or stops, for samples). */
export interface ParseLimits {
  /** bytes (or characters, for a string) of the whole exposition */
  maxInputBytes: number;
  /** characters of one line */
  maxLineLength: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  /** labels of one sample (or exemplar) */
  maxLabels: number;
  /** samples of the whole exposition */
  maxSamples: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxInputBytes: 256 * 1024 * 1024,
  maxLineLength: 1024 * 1024,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 64 * 1024,
  maxLabels: 256,
  maxSamples: 2_000_000,
};

/** Lenient mode lists this many problems, then counts the rest. */
const MAX_PROBLEMS = 1000;

/**
 * Bytes are decoded and parsed in pieces of whole lines of about this size. V8 puts a string over
 * 128 KiB in its large-object space, which only a full collection frees: a scraper that decoded a
 * 4 MB exposition whole every 2 s held tens of MiB of dead text between collections. Pieces this size
 * (64 KiB even as two-byte strings) die young.
 */
const PIECE_BYTES = 32 * 1024;

export interface ParseOptions {
  strict?: boolean;
  /** force a format; by default OpenMetrics when the text ends in "# EOF" */
  format?: 'text' | 'openmetrics';
  limits?: Partial<ParseLimits>;
  /**
   * Lenient only: offered each line before it is tokenized; true when the caller read the line itself
   * (a sample it recognises, see BatchEncoder). Such a sample counts toward maxSamples and is in no
   * family of the result.
   */
  takeLine?: (text: string, start: number, end: number, line: number) => boolean;
  /**
   * Lenient only: true for a family (or sample name) the caller drops. The sample lines right after
   * such a family's HELP/TYPE whose name is the family's, or the family's and a suffix, and is dropped
   * too, are passed over unread: whichever family they would join, it is one the caller drops. The
   * metadata lines themselves are read, so the families around them come out as in a full parse.
   */
  skipFamily?: (name: string) => boolean;
}

/** The suffixes a sample name may add to its family's name (histograms, summaries, counters, info). */
const FAMILY_SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_gcount', '_gsum', '_info'];

/**
 * The metric name of a line that is a sample of family `family` by its name alone (the name, or the
 * name and a suffix), or undefined; no allocation unless it is.
 */
function sampleNameOf(text: string, start: number, end: number, family: string): string | undefined {
  if (!text.startsWith(family, start)) return undefined;
  let at = start + family.length;
  if (at < end && text.charCodeAt(at) === 0x5f /* _ */) {
    const suffix = FAMILY_SUFFIXES.find((s) => text.startsWith(s, at));
    if (suffix === undefined) return undefined;
    at += suffix.length;
  }
  const next = at < end ? text.charCodeAt(at) : -1;
  if (next !== 0x7b /* { */ && next !== 0x20 /* space */ && next !== 0x09 /* tab */) return undefined;
  return at === start + family.length ? family : text.slice(start, at);
}

/** Whether the text ends in "# EOF" on a line of its own (blanks after it aside); undefined: only blanks. */
function endsWithEof(text: string): boolean | undefined {
  let end = text.length;
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  if (end === 0) return undefined;
  return text.startsWith('# EOF', end - 5) && (end === 5 || text[end - 6] === '\n');
}

/** endsWithEof of the bytes, from the lines of their last KiB when those hold more than blanks. */
function bytesEndWithEof(bytes: Uint8Array): boolean {
  const tailFrom = bytes.length > 1024 ? bytes.indexOf(0x0a, bytes.length - 1024) + 1 : 0;
  // a tail that starts at a line start is judged alone: "# EOF" at its start follows a line feed
  const tail = tailFrom > 0 ? endsWithEof(decodeUtf8(bytes.subarray(tailFrom), 0).text) : undefined;
  return tail ?? endsWithEof(decodeUtf8(bytes, 0).text) ?? false;
}

class Problems {
  readonly list: ParseProblem[] = [];
  private unlisted = 0;
  private lastLine = 0;

  add(error: ExpositionError): void {
    this.lastLine = error.line;
    if (this.list.length >= MAX_PROBLEMS) {
      this.unlisted++;
      return;
    }
    this.list.push({
      line: error.line,
      ...(error.column === undefined ? {} : { column: error.column }),
      message: error.message,
    });
  }

  done(): ParseProblem[] {
    if (this.unlisted > 0)
      this.list.push({ line: this.lastLine, message: `${this.unlisted} more problems not listed` });
    return this.list;
  }
}

/** Parse an exposition (bytes: UTF-8 is checked). Strict mode throws ExpositionError; lenient mode returns problems. */
export function parseExposition(input: string | Uint8Array, options: ParseOptions = {}): Exposition {
  const strict = options.strict === true;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (input.length > limits.maxInputBytes)
    throw new ExpositionError(
      1,
      undefined,
      `the exposition is larger than ${limits.maxInputBytes} bytes`,
      true,
    );
  const bytes = typeof input === 'string' ? undefined : input;
  // strict mode reports invalid UTF-8 first, wherever it is, as when the whole input was decoded at once
  if (bytes && strict && !isUtf8(bytes)) {
    const [line, column] = [...decodeUtf8(bytes, 1).invalid][0]!;
    throw new ExpositionError(line, column, 'invalid UTF-8');
  }
  const openMetrics = options.format
    ? options.format === 'openmetrics'
    : bytes
      ? bytesEndWithEof(bytes)
      : (endsWithEof(input as string) ?? false);
  const syntax: Syntax = {
    openMetrics,
    strict,
    maxLabelNameLength: limits.maxLabelNameLength,
    maxLabelValueLength: limits.maxLabelValueLength,
    maxLabels: limits.maxLabels,
  };
  const assembler = new FamilyAssembler(openMetrics, strict);
  const problems = new Problems();
  const takeLine = strict ? undefined : options.takeLine;
  const skipFamily = strict ? undefined : options.skipFamily;
  /** the family whose lines are being passed over */
  let skipping: string | undefined;
  let taken = 0;
  let lineNo = 0;
  let sawEof = false;
  const fail: Fail = (message, column, line) => {
    throw new ExpositionError(line ?? Math.max(lineNo, 1), column, message);
  };
  let piece: Decoded = { text: typeof input === 'string' ? input : '', invalid: new Map() };
  let pieceFrom = 0;
  let pos = 0;
  pieces: for (;;) {
    if (bytes) {
      if (pieceFrom >= bytes.length) break;
      const pieceTo = pieceEnd(bytes, pieceFrom, PIECE_BYTES);
      piece = decodeUtf8(bytes.subarray(pieceFrom, pieceTo), MAX_PROBLEMS, lineNo + 1);
      pieceFrom = pieceTo;
      pos = 0;
    }
    const text = piece.text;
    if (lineNo === 0 && text.charCodeAt(0) === 0xfeff) {
      if (strict)
        throw new ExpositionError(1, 1, 'a byte order mark (the exposition must start without one)');
      pos = 1;
    }
    while (pos < text.length) {
      let end = text.indexOf('\n', pos);
      if (end === -1) end = text.length;
      const start = pos;
      const unterminated = end === text.length;
      pos = end + 1;
      lineNo++;
      try {
        if (piece.invalid.has(lineNo)) fail('invalid UTF-8', piece.invalid.get(lineNo));
        if (end - start > limits.maxLineLength)
          throw new ExpositionError(
            lineNo,
            undefined,
            `line longer than ${limits.maxLineLength} characters`,
            true,
          );
        if (text.charCodeAt(end - 1) === 0x0d) {
          if (strict) fail('a carriage return (lines end in \\n alone)', end - start);
          end--;
        }
        if (sawEof) fail('content after "# EOF"');
        if (unterminated && strict && !openMetrics) fail('the last line does not end in a line feed');
        if (skipping !== undefined && text.charCodeAt(start) !== 0x23 /* # */) {
          const name = sampleNameOf(text, start, end, skipping);
          if (name !== undefined && (name === skipping || skipFamily!(name))) continue;
          skipping = undefined;
        }
        if (takeLine && assembler.samples + taken < limits.maxSamples && takeLine(text, start, end, lineNo)) {
          taken++;
          continue;
        }
        const token = tokenizeLine(text, start, end, lineNo, syntax);
        if (token.kind === 'eof') sawEof = true;
        else if (token.kind === 'metadata') {
          skipping = skipFamily?.(token.name) ? token.name : undefined;
          assembler.metadata(token, fail);
        } else if (token.kind === 'sample') {
          if (assembler.samples + taken >= limits.maxSamples) {
            const error = new ExpositionError(lineNo, 1, `more than ${limits.maxSamples} samples`, true);
            if (strict) throw error;
            problems.add(error);
            break pieces;
          }
          assembler.sample(token, lineNo, fail);
        }
      } catch (error) {
        if (!(error instanceof ExpositionError) || strict) throw error;
        problems.add(error);
      }
    }
    if (!bytes) break;
  }
  if (strict) {
    if (openMetrics && !sawEof) fail('OpenMetrics exposition does not end with "# EOF"');
    assembler.finish(fail);
  }
  return {
    format: openMetrics ? 'openmetrics' : 'text',
    families: assembler.families,
    problems: problems.done(),
  };
}
