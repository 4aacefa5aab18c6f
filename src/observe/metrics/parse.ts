import type { Exemplar, Exposition, MetricFamily, MetricType, ParseProblem, Sample } from './model.js';

/**
 * A parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0, written from the specifications
 * (no npm parser handles labelled histograms, NaN and OpenMetrics correctly: field-notes §5).
 * Strict mode rejects what the specifications reject, with the line number; lenient mode (for scraping)
 * skips a bad line, records the problem and goes on.
 */

export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    readonly column: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ExpositionError';
  }
}

export interface ParseOptions {
  strict?: boolean;
  /** force a format; by default OpenMetrics when the text ends in "# EOF" */
  format?: 'text' | 'openmetrics';
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const OM_TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'stateset',
  'info',
  'summary',
  'unknown',
]);
const OM_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TEXT_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Suffixes a sample may carry and still belong to a family of the given type. */
const SUFFIXES: Record<MetricType, string[]> = {
  counter: ['_total', '_created', ''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['', '_sum', '_count', '_created'],
  untyped: [''],
  unknown: [''],
  info: ['_info'],
  stateset: [''],
};

function parseValue(text: string, openMetrics: boolean, strict: boolean): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || (!openMetrics && text === 'Inf')) return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!strict) {
    const lower = text.toLowerCase();
    if (lower === 'nan') return Number.NaN;
    if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
      return Number.POSITIVE_INFINITY;
    if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  }
  if (!(openMetrics ? OM_FLOAT : TEXT_FLOAT).test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

interface Cursor {
  text: string;
  pos: number;
}

/** A quoted string with \\, \" and \n escapes; the cursor is on the opening quote. */
function readQuoted(cur: Cursor, fail: (message: string, at: number) => never, strict: boolean): string {
  const start = cur.pos;
  cur.pos++;
  let out = '';
  for (;;) {
    if (cur.pos >= cur.text.length) return fail('unterminated quoted string', start);
    const c = cur.text[cur.pos]!;
    if (c === '"') {
      cur.pos++;
      return out;
    }
    if (c === '\\') {
      const next = cur.text[cur.pos + 1];
      if (next === '\\') out += '\\';
      else if (next === '"') out += '"';
      else if (next === 'n') out += '\n';
      else if (strict) return fail(`invalid escape "\\${next ?? ''}" (only \\\\, \\" and \\n)`, cur.pos);
      else out += `\\${next ?? ''}`;
      cur.pos += 2;
      continue;
    }
    out += c;
    cur.pos++;
  }
}

function skipSpaces(cur: Cursor): void {
  while (cur.text[cur.pos] === ' ' || cur.text[cur.pos] === '\t') cur.pos++;
}

function readName(cur: Cursor): string {
  const start = cur.pos;
  if (!NAME_START.test(cur.text[cur.pos] ?? '')) return '';
  cur.pos++;
  while (cur.pos < cur.text.length && NAME_CHAR.test(cur.text[cur.pos]!)) cur.pos++;
  return cur.text.slice(start, cur.pos);
}

/**
 * `{a="1",b="2",}` — also the quoted-name forms `{"metric.name", "label.name"="v"}`. Returns the labels
 * and a metric name found inside the braces, if any.
 */
function readLabels(
  cur: Cursor,
  fail: (message: string, at: number) => never,
  strict: boolean,
): { labels: Record<string, string>; name?: string } {
  const labels: Record<string, string> = {};
  let name: string | undefined;
  cur.pos++; // {
  for (;;) {
    skipSpaces(cur);
    if (cur.text[cur.pos] === '}') {
      cur.pos++;
      return name === undefined ? { labels } : { labels, name };
    }
    let labelName: string;
    const at = cur.pos;
    if (cur.text[cur.pos] === '"') {
      const quoted = readQuoted(cur, fail, strict);
      skipSpaces(cur);
      if (cur.text[cur.pos] !== '=') {
        if (name !== undefined) fail('two metric names in braces', at);
        name = quoted;
        skipSpaces(cur);
        if (cur.text[cur.pos] === ',') cur.pos++;
        continue;
      }
      labelName = quoted;
    } else {
      labelName = readName(cur);
      if (labelName === '' || !LABEL_NAME.test(labelName))
        fail(`invalid label name at "${cur.text.slice(at, at + 20)}"`, at);
    }
    skipSpaces(cur);
    if (cur.text[cur.pos] !== '=') fail(`expected "=" after label ${labelName}`, cur.pos);
    cur.pos++;
    skipSpaces(cur);
    if (cur.text[cur.pos] !== '"') fail(`label ${labelName}: the value must be quoted`, cur.pos);
    const value = readQuoted(cur, fail, strict);
    if (Object.hasOwn(labels, labelName)) fail(`duplicate label ${labelName}`, at);
    labels[labelName] = value;
    skipSpaces(cur);
    const c = cur.text[cur.pos];
    if (c === ',') {
      cur.pos++;
      continue;
    }
    if (c === '}') continue;
    fail(`expected "," or "}" after label ${labelName}`, cur.pos);
  }
}

function familyFor(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const direct = families.get(name);
  if (direct && SUFFIXES[direct.type].includes('')) return direct;
  for (const suffix of ['_bucket', '_sum', '_count', '_created', '_total', '_info', '_gsum', '_gcount']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family && SUFFIXES[family.type].includes(suffix)) return family;
  }
  return direct;
}

/** Parse an exposition. Strict mode throws ExpositionError; lenient mode returns problems. */
export function parseExposition(input: string, options: ParseOptions = {}): Exposition {
  const strict = options.strict === true;
  const trimmedEnd = input.trimEnd();
  const openMetrics = options.format ? options.format === 'openmetrics' : trimmedEnd.endsWith('# EOF');
  const families = new Map<string, MetricFamily>();
  const problems: ParseProblem[] = [];
  const typed = new Set<string>();
  const helped = new Set<string>();
  const seenSamples = new Set<string>();
  const finished = new Set<string>();
  let current: MetricFamily | undefined;
  let sawEof = false;
  let lineNo = 0;
  let pos = 0;
  const text = input;

  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end);
    lineNo++;
    const atEnd = end >= text.length;
    pos = end + 1;
    if (atEnd && line === '') {
      lineNo--;
      break;
    }
    try {
      const fail = (message: string, column?: number): never => {
        throw new ExpositionError(lineNo, column === undefined ? undefined : column + 1, message);
      };
      if (sawEof) fail('content after "# EOF"');
      if (line.trim() === '') {
        if (openMetrics && strict) fail('empty lines are not allowed in OpenMetrics');
        continue;
      }
      if (line.startsWith('#')) {
        if (openMetrics && line === '# EOF') {
          sawEof = true;
          continue;
        }
        const parts = /^#\s+(HELP|TYPE|UNIT)\s+(\S+)(?:\s(.*))?$/.exec(line);
        if (!parts) {
          if (openMetrics && strict)
            fail('OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF comments');
          continue;
        }
        const [, keyword, rawName, rest = ''] = parts as unknown as [string, string, string, string?];
        const name = rawName.startsWith('"') ? rawName.slice(1, -1) : rawName;
        if (!rawName.startsWith('"') && !METRIC_NAME.test(name))
          fail(`invalid metric name "${name}" in # ${keyword}`);
        let family = families.get(name);
        if (family && finished.has(name) && strict) fail(`# ${keyword} for ${name} after its samples`);
        if (!family) {
          family = { name, type: openMetrics ? 'unknown' : 'untyped', samples: [] };
          families.set(name, family);
        }
        if (current && current !== family) finished.add(current.name);
        current = family;
        if (keyword === 'HELP') {
          if (helped.has(name) && strict) fail(`second # HELP for ${name}`);
          helped.add(name);
          family.help = openMetrics
            ? rest.replace(/\\(\\|n|")/g, (_, c: string) => (c === 'n' ? '\n' : c))
            : unescapeHelp(rest);
        } else if (keyword === 'TYPE') {
          const type = rest.trim();
          if (!(openMetrics ? OM_TYPES : TEXT_TYPES).has(type))
            fail(`unknown metric type "${type}" for ${name}`);
          if (typed.has(name) && strict) fail(`second # TYPE for ${name}`);
          if (family.samples.length > 0 && strict) fail(`# TYPE for ${name} after its first sample`);
          typed.add(name);
          family.type = type as MetricType;
        } else {
          if (!openMetrics && strict) fail('# UNIT exists only in OpenMetrics');
          family.unit = rest.trim();
          if (strict && family.unit !== '' && !name.endsWith(`_${family.unit}`))
            fail(`metric ${name} with unit ${family.unit} must end in _${family.unit}`);
        }
        continue;
      }

      // a sample: name{labels} value [timestamp] [# {exemplar labels} value [timestamp]]
      const cur: Cursor = { text: line, pos: 0 };
      let name = readName(cur);
      let labels: Record<string, string> = {};
      if (cur.text[cur.pos] === '{') {
        const read = readLabels(cur, fail, strict);
        labels = read.labels;
        if (read.name !== undefined) {
          if (name !== '') fail('metric name both before and inside the braces', 0);
          name = read.name;
        }
      }
      if (name === '') fail(`invalid metric name at "${line.slice(0, 30)}"`, 0);
      if (cur.text[cur.pos] !== ' ' && cur.text[cur.pos] !== '\t')
        fail('expected a space before the value', cur.pos);
      skipSpaces(cur);
      const valueStart = cur.pos;
      while (cur.pos < line.length && line[cur.pos] !== ' ' && line[cur.pos] !== '\t') cur.pos++;
      const valueText = line.slice(valueStart, cur.pos);
      if (valueText === '') fail('missing value', valueStart);
      const value = parseValue(valueText, openMetrics, strict);
      if (value === undefined) fail(`invalid value "${valueText}"`, valueStart);
      skipSpaces(cur);
      let timestamp: number | undefined;
      let exemplar: Exemplar | undefined;
      if (cur.pos < line.length && line[cur.pos] !== '#') {
        const tsStart = cur.pos;
        while (cur.pos < line.length && line[cur.pos] !== ' ' && line[cur.pos] !== '\t') cur.pos++;
        const tsText = line.slice(tsStart, cur.pos);
        if (openMetrics) {
          const seconds = parseValue(tsText, true, true);
          if (seconds === undefined || !Number.isFinite(seconds))
            fail(`invalid timestamp "${tsText}" (OpenMetrics: seconds)`, tsStart);
          timestamp = (seconds as number) * 1000;
        } else {
          if (!/^-?\d+$/.test(tsText))
            fail(`invalid timestamp "${tsText}" (milliseconds, an integer)`, tsStart);
          timestamp = Number(tsText);
        }
        skipSpaces(cur);
      }
      if (cur.pos < line.length) {
        if (!openMetrics && strict) fail('unexpected text after the value', cur.pos);
        if (line[cur.pos] === '#') {
          cur.pos++;
          skipSpaces(cur);
          if (line[cur.pos] !== '{') fail('an exemplar starts with "# {"', cur.pos);
          const read = readLabels(cur, fail, strict);
          skipSpaces(cur);
          const rest = line.slice(cur.pos).trim().split(/\s+/);
          const exValue = parseValue(rest[0] ?? '', true, true);
          if (exValue === undefined) fail(`invalid exemplar value "${rest[0] ?? ''}"`, cur.pos);
          exemplar = { labels: read.labels, value: exValue as number };
          if (rest[1] !== undefined) {
            const exTs = parseValue(rest[1], true, true);
            if (exTs === undefined) fail(`invalid exemplar timestamp "${rest[1]}"`, cur.pos);
            exemplar.timestamp = exTs as number;
          }
          if (
            strict &&
            [...Object.entries(read.labels)].reduce((n, [k, v]) => n + k.length + v.length, 0) > 128
          ) {
            fail('exemplar labels longer than 128 characters');
          }
        } else if (strict) {
          fail('unexpected text after the timestamp', cur.pos);
        }
      }

      let family = familyFor(name, families);
      if (!family) {
        family = { name, type: openMetrics ? 'unknown' : 'untyped', samples: [] };
        families.set(name, family);
      }
      if (current && current !== family) {
        finished.add(current.name);
        if (finished.has(family.name) && strict) fail(`samples of ${family.name} are not in one group`);
      }
      current = family;
      if (strict) {
        if (
          openMetrics &&
          family.type === 'counter' &&
          !name.endsWith('_total') &&
          !name.endsWith('_created')
        ) {
          fail(`counter ${family.name}: OpenMetrics counter samples are named ${family.name}_total`);
        }
        if ((family.type === 'histogram' || family.type === 'gaugehistogram') && name.endsWith('_bucket')) {
          if (labels.le === undefined) fail(`${name} has no "le" label`);
          if (parseValue(labels.le as string, openMetrics, true) === undefined)
            fail(`${name}: le="${labels.le}" is not a number`);
        }
        if (family.type === 'summary' && name === family.name && labels.quantile === undefined)
          fail(`${name} has no "quantile" label`);
        if (
          (family.type === 'counter' || name.endsWith('_count') || name.endsWith('_bucket')) &&
          (value as number) < 0
        ) {
          fail(`${name} cannot be negative`);
        }
        const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
        if (seenSamples.has(key))
          fail(`duplicate sample ${name}${Object.keys(labels).length ? JSON.stringify(labels) : ''}`);
        seenSamples.add(key);
      }
      const sample: Sample = { name, labels, value: value as number, line: lineNo };
      if (timestamp !== undefined) sample.timestamp = timestamp;
      if (exemplar) sample.exemplar = exemplar;
      family.samples.push(sample);
    } catch (error) {
      if (!(error instanceof ExpositionError)) throw error;
      if (strict) throw error;
      problems.push({
        line: error.line,
        ...(error.column === undefined ? {} : { column: error.column }),
        message: error.message,
      });
    }
  }
  if (openMetrics && !sawEof && strict)
    throw new ExpositionError(lineNo, undefined, 'OpenMetrics exposition does not end with "# EOF"');
  if (strict) {
    for (const family of families.values()) {
      if (family.type !== 'histogram' || family.samples.length === 0) continue;
      const groups = new Map<string, boolean>();
      for (const sample of family.samples) {
        if (!sample.name.endsWith('_bucket')) continue;
        const { le, ...rest } = sample.labels;
        const key = JSON.stringify(Object.entries(rest).sort());
        groups.set(
          key,
          (groups.get(key) ?? false) || parseValue(le ?? '', openMetrics, true) === Number.POSITIVE_INFINITY,
        );
      }
      for (const [key, hasInf] of groups) {
        if (!hasInf)
          throw new ExpositionError(
            family.samples[0]!.line,
            undefined,
            `histogram ${family.name}${key === '[]' ? '' : ` ${key}`} has no le="+Inf" bucket`,
          );
      }
    }
  }
  return { format: openMetrics ? 'openmetrics' : 'text', families, problems };
}
