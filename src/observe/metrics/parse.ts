import { ExpositionError, type Fail } from './exposition-error.js';
import { FamilyAssembler } from './families.js';
import { tokenizeLine } from './lexer.js';
import type { Exposition, ParseProblem } from './model.js';
import type { Syntax } from './tokens.js';
import { decodeUtf8 } from './utf8.js';

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
}

function endsWithEof(text: string): boolean {
  let end = text.length;
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  return text.startsWith('# EOF', end - 5) && (end === 5 || text[end - 6] === '\n');
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
  const decoded =
    typeof input === 'string'
      ? { text: input, invalid: new Map<number, number>() }
      : decodeUtf8(input, strict ? 1 : MAX_PROBLEMS);
  const text = decoded.text;
  for (const [line, column] of decoded.invalid) {
    if (strict) throw new ExpositionError(line, column, 'invalid UTF-8');
  }
  const openMetrics = options.format ? options.format === 'openmetrics' : endsWithEof(text);
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
  let taken = 0;
  let lineNo = 0;
  let sawEof = false;
  const fail: Fail = (message, column, line) => {
    throw new ExpositionError(line ?? Math.max(lineNo, 1), column, message);
  };
  let pos = 0;
  if (text.charCodeAt(0) === 0xfeff) {
    if (strict) throw new ExpositionError(1, 1, 'a byte order mark (the exposition must start without one)');
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
      if (decoded.invalid.has(lineNo)) fail('invalid UTF-8', decoded.invalid.get(lineNo));
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
      if (takeLine && assembler.samples + taken < limits.maxSamples && takeLine(text, start, end, lineNo)) {
        taken++;
        continue;
      }
      const token = tokenizeLine(text, start, end, lineNo, syntax);
      if (token.kind === 'eof') sawEof = true;
      else if (token.kind === 'metadata') assembler.metadata(token, fail);
      else if (token.kind === 'sample') {
        if (assembler.samples + taken >= limits.maxSamples) {
          const error = new ExpositionError(lineNo, 1, `more than ${limits.maxSamples} samples`, true);
          if (strict) throw error;
          problems.add(error);
          break;
        }
        assembler.sample(token, lineNo, fail);
      }
    } catch (error) {
      if (!(error instanceof ExpositionError) || strict) throw error;
      problems.add(error);
    }
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
