import { ExpositionError } from './exposition-error.js';
import type { ExemplarToken, Keyword, LabelToken, LineToken, SampleToken, Syntax } from './tokens.js';

/**
 * The tokenizer: one line of an exposition into its tokens (metadata, or a sample's name, labels,
 * value, timestamp and exemplar), as text with columns. Numbers and meaning are the rules' job.
 *
 * Three syntaxes: OpenMetrics strict is the ABNF to the byte (one space between tokens, no trailing
 * comma, `\x` escapes allowed); text 0.0.4 follows expfmt (blanks and tabs anywhere between tokens,
 * a trailing comma, only `\\`, `\"` and `\n` escapes); lenient mode is as tolerant as Prometheus'
 * scraper and keeps unknown escapes as written.
 */

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const EQUALS = 0x3d;

function isLabelStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}
function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 0x30 && c <= 0x39);
}
function isNameStart(c: number): boolean {
  return isLabelStart(c) || c === 0x3a;
}
function isNameChar(c: number): boolean {
  return isLabelChar(c) || c === 0x3a;
}

const SKIP: LineToken = { kind: 'skip' };
const EOF: LineToken = { kind: 'eof' };

class LineLexer {
  pos: number;
  /** OpenMetrics strict: the ABNF to the byte */
  readonly exact: boolean;
  /** text 0.0.4 strict: no exemplars */
  readonly textStrict: boolean;

  constructor(
    private readonly text: string,
    private readonly start: number,
    private readonly end: number,
    private readonly line: number,
    private readonly syntax: Syntax,
  ) {
    this.pos = start;
    this.exact = syntax.openMetrics && syntax.strict;
    this.textStrict = !syntax.openMetrics && syntax.strict;
  }

  snippet(): string {
    return this.text.slice(this.pos, Math.min(this.pos + 30, this.end));
  }

  /** Text and lenient: blanks between a metric name and its "{" (expfmt allows them). */
  blanksBeforeBrace(): void {
    if (this.exact) return;
    const from = this.pos;
    this.skipBlanks();
    if (this.peek() !== OPEN) this.pos = from;
  }

  /** After a token: is another one there? OpenMetrics strict wants exactly one space and no trailing one. */
  moreTokens(): boolean {
    if (!this.exact) {
      this.skipBlanks();
      return !this.atEnd();
    }
    if (this.atEnd()) return false;
    this.separator('the next token');
    if (this.atEnd()) this.fail('a trailing space at the end of the line', this.pos - 1);
    return true;
  }

  fail(message: string, at = this.pos): never {
    throw new ExpositionError(this.line, at - this.start + 1, message);
  }

  pastLimit(message: string, at: number): never {
    throw new ExpositionError(this.line, at - this.start + 1, message, true);
  }

  column(at = this.pos): number {
    return at - this.start + 1;
  }

  peek(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : -1;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  private isBlank(c: number): boolean {
    return c === SPACE || c === TAB;
  }

  skipBlanks(): number {
    const from = this.pos;
    while (this.pos < this.end && this.isBlank(this.text.charCodeAt(this.pos))) this.pos++;
    return this.pos - from;
  }

  /** The separator between two tokens: exactly one space in OpenMetrics strict, else blanks. */
  separator(what: string): void {
    if (!this.exact) {
      if (this.skipBlanks() === 0) this.fail(`expected a space before ${what}`);
      return;
    }
    if (this.peek() !== SPACE) this.fail(`expected a space before ${what}`);
    this.pos++;
    if (this.isBlank(this.peek())) this.fail('OpenMetrics separates tokens by exactly one space');
  }

  /** Optional blanks inside braces and around "=" (text and lenient only). */
  blanks(): void {
    if (this.exact) return;
    this.skipBlanks();
  }

  metricName(): string {
    const from = this.pos;
    if (!isNameStart(this.peek())) return '';
    this.pos++;
    while (this.pos < this.end && isNameChar(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(from, this.pos);
  }

  labelName(): string {
    const from = this.pos;
    if (!isLabelStart(this.peek())) return '';
    this.pos++;
    while (this.pos < this.end && isLabelChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos - from > this.syntax.maxLabelNameLength)
      this.pastLimit(`label name longer than ${this.syntax.maxLabelNameLength} characters`, from);
    return this.text.slice(from, this.pos);
  }

  /** A token up to the next blank (or the end of the line). */
  word(): string {
    const from = this.pos;
    while (this.pos < this.end && !this.isBlank(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(from, this.pos);
  }

  /** A double-quoted escaped-string; the cursor is on the opening quote. */
  quoted(what: string): string {
    const open = this.pos;
    this.pos++;
    let from = this.pos;
    let out = '';
    for (;;) {
      if (this.pos >= this.end) this.fail(`unterminated quoted ${what}`, open);
      const c = this.text.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        out += this.text.slice(from, this.pos) + this.escape(this.pos);
        this.pos += 2;
        from = this.pos;
        continue;
      }
      this.pos++;
    }
    if (this.pos - open - 1 > this.syntax.maxLabelValueLength)
      this.pastLimit(`${what} longer than ${this.syntax.maxLabelValueLength} characters`, open);
    out += this.text.slice(from, this.pos);
    this.pos++; // the closing quote
    return out;
  }

  /** What `\x` at `at` stands for, per the syntax. */
  private escape(at: number): string {
    const next = at + 1 < this.end ? this.text[at + 1]! : '';
    if (next === 'n') return '\n';
    if (next === '"' || next === '\\') return next;
    if (next === '') this.fail('a backslash at the end of the line', at);
    if (this.syntax.strict && !this.syntax.openMetrics)
      this.fail(`invalid escape "\\${next}" (text 0.0.4 allows only \\\\, \\" and \\n)`, at);
    return `\\${next}`; // OpenMetrics: BS normal-char is the two characters
  }

  /**
   * `{a="1",b="2"}`, in text and lenient mode also `{ a = "1" , }` and the quoted-name forms
   * `{"metric.name", "label.name"="v"}`. Returns the labels and a metric name found inside, if any.
   */
  labels(allowNameInside: boolean): { labels: LabelToken[]; name?: string } {
    const labels: LabelToken[] = [];
    let name: string | undefined;
    this.pos++; // {
    this.blanks();
    if (this.peek() === CLOSE) {
      this.pos++;
      return { labels };
    }
    for (;;) {
      const at = this.pos;
      let labelName: string;
      if (this.peek() === QUOTE && !this.exact) {
        const quoted = this.quoted('name');
        this.blanks();
        if (this.peek() !== EQUALS) {
          if (!allowNameInside) this.fail('a metric name is not allowed here', at);
          if (name !== undefined) this.fail('two metric names in braces', at);
          name = quoted;
          if (!this.nextLabel(`metric name "${quoted}"`)) break;
          continue;
        }
        labelName = quoted;
      } else {
        labelName = this.labelName();
        if (labelName === '')
          this.fail(`invalid label name at "${this.text.slice(at, Math.min(at + 20, this.end))}"`, at);
        this.blanks();
      }
      if (this.peek() !== EQUALS) this.fail(`expected "=" after label ${labelName}`);
      this.pos++;
      this.blanks();
      if (this.peek() !== QUOTE) this.fail(`label ${labelName}: the value must be quoted`);
      const value = this.quoted('label value');
      if (labels.length >= this.syntax.maxLabels)
        this.pastLimit(`more than ${this.syntax.maxLabels} labels`, at);
      labels.push({ name: labelName, value, column: this.column(at) });
      if (!this.nextLabel(`label ${labelName}`)) break;
    }
    return name === undefined ? { labels } : { labels, name };
  }

  /** After a label: "," then another (true), or "}" (false). */
  private nextLabel(after: string): boolean {
    this.blanks();
    const c = this.peek();
    if (c === CLOSE) {
      this.pos++;
      return false;
    }
    if (c !== COMMA) this.fail(`expected "," or "}" after ${after}`);
    this.pos++;
    this.blanks();
    if (this.peek() !== CLOSE) return true;
    if (this.exact) this.fail('a trailing comma in the label set (OpenMetrics does not allow it)');
    this.pos++;
    return false;
  }
}

/** Tokenizes text[start, end) — one line without its "\n" — as line number `line`. */
export function tokenizeLine(
  text: string,
  start: number,
  end: number,
  line: number,
  syntax: Syntax,
): LineToken {
  const lexer = new LineLexer(text, start, end, line, syntax);
  if (lexer.exact) {
    if (start === end) lexer.fail('empty lines are not allowed in OpenMetrics');
  } else {
    lexer.skipBlanks();
    if (lexer.atEnd()) return SKIP;
  }
  if (lexer.peek() === HASH) return comment(lexer, text, end, syntax);
  return sample(lexer);
}

function comment(lexer: LineLexer, text: string, end: number, syntax: Syntax): LineToken {
  const from = lexer.pos;
  if (syntax.openMetrics) {
    const trimmedEnd = syntax.strict ? end : from + text.slice(from, end).trimEnd().length;
    if (text.slice(from, trimmedEnd) === '# EOF') return EOF;
  }
  lexer.pos++;
  if (lexer.exact) lexer.separator('the keyword');
  else lexer.skipBlanks();
  const keyword = lexer.word();
  if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') {
    if (lexer.exact)
      lexer.fail('OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF lines starting with #', from);
    return SKIP; // a comment
  }
  if (keyword === 'UNIT' && !syntax.openMetrics) return SKIP; // text 0.0.4 has no UNIT: a comment
  if (lexer.exact) {
    lexer.separator('the metric name');
  } else {
    // text 0.0.4 (expfmt): "# HELP" or "# HELP name" alone is a comment, not an error
    lexer.skipBlanks();
    if (lexer.atEnd()) return SKIP;
  }
  const nameAt = lexer.pos;
  const name = lexer.peek() === QUOTE && !lexer.exact ? lexer.quoted('name') : lexer.metricName();
  if (name === '' || (!lexer.atEnd() && lexer.peek() !== SPACE && lexer.peek() !== TAB))
    lexer.fail(`invalid metric name in # ${keyword}`, nameAt);
  if (lexer.exact) {
    // the ABNF: the space before the text is there even when the text is empty
    if (lexer.atEnd()) lexer.fail(`# ${keyword} ${name} needs a space and then the ${describe(keyword)}`);
    lexer.pos++;
  } else {
    lexer.skipBlanks();
    if (lexer.atEnd()) return SKIP;
  }
  const textColumn = lexer.column();
  const rest = text.slice(lexer.pos, end);
  if (keyword === 'HELP')
    return { kind: 'metadata', keyword, name, text: help(lexer, rest, syntax), textColumn };
  return { kind: 'metadata', keyword, name, text: rest, textColumn };
}

function describe(keyword: Keyword): string {
  return keyword === 'HELP' ? 'help text' : keyword === 'TYPE' ? 'type' : 'unit';
}

/**
 * HELP text. OpenMetrics: an escaped-string, whose normal characters exclude a bare `"` and which
 * allows `\"` and `\x`; text 0.0.4 escapes only `\\` and `\n`.
 */
function help(lexer: LineLexer, rest: string, syntax: Syntax): string {
  if (!rest.includes('\\') && !(syntax.openMetrics && syntax.strict && rest.includes('"'))) return rest;
  let out = '';
  const base = lexer.pos;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '"' && syntax.openMetrics && syntax.strict)
      lexer.fail('a bare " in OpenMetrics HELP text (escape it as \\")', base + i);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = rest[i + 1];
    i++;
    if (next === 'n') out += '\n';
    else if (next === '\\') out += '\\';
    else if (next === undefined) {
      if (syntax.strict) lexer.fail('a backslash at the end of the HELP text', base + i - 1);
      out += '\\';
    } else if (next === '"' && syntax.openMetrics) out += '"';
    else if (syntax.strict && !syntax.openMetrics)
      lexer.fail(`invalid escape "\\${next}" in HELP (text 0.0.4 allows only \\\\ and \\n)`, base + i - 1);
    else out += `\\${next}`;
  }
  return out;
}

function sample(lexer: LineLexer): SampleToken {
  let name = lexer.metricName();
  let labels: LabelToken[] = [];
  if (name !== '') lexer.blanksBeforeBrace();
  if (lexer.peek() === OPEN) {
    const read = lexer.labels(name === '' && !lexer.exact);
    labels = read.labels;
    if (read.name !== undefined) name = read.name;
  }
  if (name === '') lexer.fail(`invalid metric name at "${lexer.snippet()}"`);
  if (lexer.atEnd()) lexer.fail('missing value');
  lexer.separator('the value');
  const valueColumn = lexer.column();
  const value = lexer.word();
  if (value === '') lexer.fail('missing value');
  const token: SampleToken = { kind: 'sample', name, labels, value, valueColumn };
  if (!lexer.moreTokens()) return token;
  if (lexer.peek() !== HASH) {
    token.timestampColumn = lexer.column();
    token.timestamp = lexer.word();
    if (!lexer.moreTokens()) return token;
  }
  if (lexer.peek() !== HASH || lexer.textStrict)
    lexer.fail(
      token.timestamp === undefined
        ? 'unexpected text after the value'
        : 'unexpected text after the timestamp',
    );
  token.exemplar = exemplar(lexer);
  return token;
}

/** ` # {labels} value [timestamp]`; the cursor is on the "#". */
function exemplar(lexer: LineLexer): ExemplarToken {
  const column = lexer.column();
  lexer.pos++;
  if (lexer.exact) lexer.separator('the exemplar labels');
  else lexer.skipBlanks();
  if (lexer.peek() !== OPEN) lexer.fail('an exemplar starts with "# {"');
  const { labels } = lexer.labels(false);
  if (lexer.atEnd()) lexer.fail('missing exemplar value');
  lexer.separator('the exemplar value');
  const valueColumn = lexer.column();
  const value = lexer.word();
  if (value === '') lexer.fail('missing exemplar value');
  const token: ExemplarToken = { labels, column, value, valueColumn };
  if (!lexer.moreTokens()) return token;
  token.timestampColumn = lexer.column();
  token.timestamp = lexer.word();
  if (lexer.moreTokens()) lexer.fail('unexpected text after the exemplar');
  return token;
}
