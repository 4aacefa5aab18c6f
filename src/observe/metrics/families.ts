import type { Fail } from './exposition-error.js';
import type { MetricFamily, MetricType, Sample } from './model.js';
import { isInt64Timestamp, isRealTimestamp, parseNumber } from './numbers.js';
import { FamilyPoints } from './point-rules.js';
import { SAMPLE_RULES } from './sample-rules.js';
import type { MetadataToken, SampleToken } from './tokens.js';

/**
 * Samples and metadata into families. Which family a sample belongs to: in OpenMetrics the current
 * family if its type allows the sample's suffix, else a new one; in text 0.0.4 as expfmt decides
 * (the family of that name, or _sum/_count of a summary or histogram, _bucket of a histogram),
 * and a counter's _total.
 * Strict mode also enforces where metadata and samples may appear: metadata once, before the samples,
 * families (text: groups) not interleaved, names that cannot clash.
 */

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
const UNIT = /^[a-zA-Z0-9_:]*$/;

/** The suffixes a sample name may add to its family's name, by type (OpenMetrics). */
const OM_SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_bucket', '_gcount', '_gsum'],
  summary: ['', '_count', '_sum', '_created'],
  stateset: [''],
  info: ['_info'],
  unknown: [''],
  untyped: [''],
};

/**
 * text 0.0.4: the suffixes that attach a sample to a family of another name: expfmt's for summaries
 * and histograms, and _total for a counter typed without it (as OpenMetrics names them).
 */
const TEXT_SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total'],
  summary: ['_count', '_sum'],
  histogram: ['_count', '_sum', '_bucket'],
};

interface OpenFamily {
  family: MetricFamily;
  /** text strict: the group its samples form (an untyped x_sum groups with x) */
  group: string;
  seen: Set<string>;
  points: FamilyPoints | undefined;
}

function setLabel(labels: Record<string, string>, name: string, value: string): void {
  // a label named __proto__ must be data, not the prototype
  if (name === '__proto__') Object.defineProperty(labels, name, { value, enumerable: true, writable: true });
  else labels[name] = value;
}

function labelsOf(tokens: SampleToken['labels'], fail: Fail): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of tokens) {
    if (Object.hasOwn(labels, label.name)) fail(`duplicate label ${label.name}`, label.column);
    setLabel(labels, label.name, label.value);
  }
  return labels;
}

export class FamilyAssembler {
  readonly families = new Map<string, MetricFamily>();
  samples = 0;
  private current: OpenFamily | undefined;
  /** strict: families (OpenMetrics) or groups (text) that ended, and OpenMetrics names they claim */
  private readonly ended = new Set<string>();
  private readonly claimed = new Set<string>();
  /**
   * The last sample name's family and suffix: a histogram's buckets come one after another, and
   * deciding again costs a hash of the name (a Map lookup) per sample. Forgotten when the current
   * family, the families or a type change.
   */
  private lastName: string | undefined;
  private lastFamily: { open: OpenFamily; suffix: string } | undefined;

  constructor(
    private readonly openMetrics: boolean,
    private readonly strict: boolean,
  ) {}

  private get defaultType(): MetricType {
    return this.openMetrics ? 'unknown' : 'untyped';
  }

  metadata(token: MetadataToken, fail: Fail): void {
    this.lastName = undefined;
    const open = this.open(token.name, fail, 'metadata');
    const family = open.family;
    if (this.strict) {
      if (family.samples.length > 0) fail(`# ${token.keyword} for ${family.name} after its samples`);
      if (open.seen.has(token.keyword)) fail(`second # ${token.keyword} for ${family.name}`);
    }
    open.seen.add(token.keyword);
    if (token.keyword === 'HELP') {
      if (token.text === '' && this.openMetrics) delete family.help;
      else family.help = token.text;
    } else if (token.keyword === 'TYPE') {
      family.type = this.type(token, family, fail);
      if (this.strict && this.openMetrics) this.checkClaims(family, fail);
    } else {
      this.unit(token, family, fail);
    }
  }

  private type(token: MetadataToken, family: MetricFamily, fail: Fail): MetricType {
    const written = this.openMetrics ? token.text : token.text.trim().toLowerCase();
    if (!(this.openMetrics ? OM_TYPES : TEXT_TYPES).has(written))
      fail(`unknown metric type "${token.text}" for ${family.name}`, token.textColumn);
    const type = written as MetricType;
    if (this.strict && family.unit !== undefined && (type === 'info' || type === 'stateset'))
      fail(`${type} ${family.name} cannot have a unit`);
    return type;
  }

  private unit(token: MetadataToken, family: MetricFamily, fail: Fail): void {
    if (this.strict) {
      if (!UNIT.test(token.text)) fail(`invalid unit "${token.text}"`, token.textColumn);
      if (token.text !== '' && !family.name.endsWith(`_${token.text}`))
        fail(`metric ${family.name} with unit ${token.text} must end in _${token.text}`, token.textColumn);
      if (token.text !== '' && (family.type === 'info' || family.type === 'stateset'))
        fail(`${family.type} ${family.name} cannot have a unit`, token.textColumn);
    }
    if (token.text === '') delete family.unit;
    else family.unit = token.text;
  }

  sample(token: SampleToken, line: number, fail: Fail): void {
    const sample = this.build(token, line, fail);
    const { open, suffix } = this.familyOf(token.name, fail);
    if (this.strict) {
      const ctx = { family: open.family, sample, token, suffix, openMetrics: this.openMetrics, fail };
      for (const rule of SAMPLE_RULES) rule(ctx);
      open.points ??= new FamilyPoints(open.family, this.openMetrics);
      open.points.add(sample, suffix, fail);
    }
    open.family.samples.push(sample);
    this.samples++;
  }

  /** The end of the exposition: the last family's checks. */
  finish(fail: Fail): void {
    this.current?.points?.finishPoint(fail);
  }

  private build(token: SampleToken, line: number, fail: Fail): Sample {
    const labels = labelsOf(token.labels, fail);
    const value = parseNumber(token.value);
    if (value === undefined) fail(`invalid value "${token.value}"`, token.valueColumn);
    const sample: Sample = { name: token.name, labels, value, line };
    if (token.timestamp !== undefined) {
      if (this.openMetrics ? !isRealTimestamp(token.timestamp) : !isInt64Timestamp(token.timestamp))
        fail(
          `invalid timestamp "${token.timestamp}" (${this.openMetrics ? 'OpenMetrics: seconds, a finite number' : 'milliseconds, an int64'})`,
          token.timestampColumn,
        );
      sample.timestamp = token.timestamp;
    }
    const exemplar = token.exemplar;
    if (exemplar) {
      const exValue = parseNumber(exemplar.value);
      if (exValue === undefined) fail(`invalid exemplar value "${exemplar.value}"`, exemplar.valueColumn);
      sample.exemplar = { labels: labelsOf(exemplar.labels, fail), value: exValue };
      if (exemplar.timestamp !== undefined) {
        if (!isRealTimestamp(exemplar.timestamp))
          fail(
            `invalid exemplar timestamp "${exemplar.timestamp}" (seconds, a finite number)`,
            exemplar.timestampColumn,
          );
        sample.exemplar.timestamp = exemplar.timestamp;
      }
    }
    return sample;
  }

  private familyOf(name: string, fail: Fail): { open: OpenFamily; suffix: string } {
    if (name === this.lastName && this.lastFamily) return this.lastFamily;
    const found = this.findFamily(name, fail);
    this.lastName = name;
    this.lastFamily = found;
    return found;
  }

  private findFamily(name: string, fail: Fail): { open: OpenFamily; suffix: string } {
    if (this.openMetrics) {
      const current = this.current;
      if (current) {
        const suffix = omSuffix(current.family, name);
        if (suffix !== undefined) return { open: current, suffix };
        if (this.strict && name === current.family.name)
          fail(
            `${current.family.type} ${name}: its samples are named ${OM_SUFFIXES[current.family.type].map((s) => name + s).join(' or ')}`,
          );
      }
      if (!this.strict) {
        const known = this.lookup(name, omSuffix);
        if (known) return this.reopen(known, fail);
      }
      return { open: this.open(name, fail, 'sample'), suffix: '' };
    }
    const current = this.current;
    if (current?.family.name === name) return { open: current, suffix: '' };
    const suffix = current && !this.families.has(name) ? textSuffix(current.family, name) : undefined;
    if (current && suffix !== undefined) return { open: current, suffix };
    const known = this.lookup(name, textSuffix);
    if (known && known.family.name !== name) return this.reopen(known, fail);
    return { open: this.open(name, fail, 'sample'), suffix: '' };
  }

  /** A family this sample name belongs to, among all the families so far. */
  private lookup(
    name: string,
    suffixOf: (family: MetricFamily, name: string) => string | undefined,
  ): { family: MetricFamily; suffix: string } | undefined {
    const exact = this.families.get(name);
    if (exact && suffixOf(exact, name) === '') return { family: exact, suffix: '' };
    for (const suffix of ['_bucket', '_count', '_sum', '_total', '_created', '_info', '_gcount', '_gsum']) {
      if (!name.endsWith(suffix)) continue;
      const family = this.families.get(name.slice(0, -suffix.length));
      if (family && suffixOf(family, name) === suffix) return { family, suffix };
    }
    return exact ? { family: exact, suffix: '' } : undefined;
  }

  private reopen(
    known: { family: MetricFamily; suffix: string },
    fail: Fail,
  ): { open: OpenFamily; suffix: string } {
    return { open: this.open(known.family.name, fail, 'sample'), suffix: known.suffix };
  }

  /** Makes `name` the current family (creating it), ending the one before. */
  private open(name: string, fail: Fail, by: 'metadata' | 'sample'): OpenFamily {
    if (this.current && this.current.family.name === name) return this.current;
    const group = this.openMetrics ? name : textGroup(name, this.families.get(name));
    if (this.strict && this.current && this.current.group === group && !this.openMetrics) {
      // the same text group (an untyped x_count after x): only the family changes
      return this.switchFamily(name, group);
    }
    if (this.current) this.end(this.current, fail);
    if (this.strict && this.ended.has(group)) {
      fail(
        by === 'metadata'
          ? `metadata for ${name} after its samples or metadata ended (families must not be interleaved)`
          : `samples of ${this.openMetrics ? name : group} are not in one group (families must not be interleaved)`,
      );
    }
    if (this.strict && this.openMetrics) {
      if (name.startsWith('_')) fail(`metric name ${name} is reserved (it starts with "_")`);
      if (this.claimed.has(name)) fail(`metric family ${name} clashes with the samples of an earlier family`);
    }
    return this.switchFamily(name, group);
  }

  private switchFamily(name: string, group: string): OpenFamily {
    this.lastName = undefined;
    let family = this.families.get(name);
    if (!family) {
      family = { name, type: this.defaultType, samples: [] };
      this.families.set(name, family);
    }
    this.current = { family, group, seen: new Set(), points: undefined };
    return this.current;
  }

  private end(open: OpenFamily, fail: Fail): void {
    open.points?.finishPoint(fail);
    open.points = undefined;
    if (!this.strict) return;
    this.ended.add(open.group);
    if (this.openMetrics)
      for (const suffix of OM_SUFFIXES[open.family.type]) this.claimed.add(open.family.name + suffix);
  }

  private checkClaims(family: MetricFamily, fail: Fail): void {
    for (const suffix of OM_SUFFIXES[family.type]) {
      if (this.claimed.has(family.name + suffix))
        fail(`${family.type} ${family.name} clashes with an earlier family's ${family.name + suffix}`);
    }
  }
}

function omSuffix(family: MetricFamily, name: string): string | undefined {
  if (!name.startsWith(family.name)) return undefined;
  const suffix = name.slice(family.name.length);
  return OM_SUFFIXES[family.type].includes(suffix) ? suffix : undefined;
}

function textSuffix(family: MetricFamily, name: string): string | undefined {
  if (name === family.name) return '';
  if (!name.startsWith(family.name)) return undefined;
  const suffix = name.slice(family.name.length);
  return TEXT_SUFFIXES[family.type]?.includes(suffix) ? suffix : undefined;
}

/** text 0.0.4: untyped names sharing a base (x, x_sum, x_count, x_bucket) form one group, as a summary's would. */
function textGroup(name: string, family: MetricFamily | undefined): string {
  if (family && family.type !== 'untyped') return name;
  const base = /^(.*)_(?:sum|count|bucket)$/.exec(name);
  return base ? base[1]! : name;
}
