import type { GoRegexp } from '../../util/go-regexp.js';
import { ownCopy } from '../../util/own-copy.js';
import type { Exposition, MetricFamily, MetricType } from './model.js';
import { parseNumber } from './numbers.js';
import { simpleSample } from './simple-sample.js';

/**
 * One scrape as a TargetStore takes it. Series are numbered by the encoder that first saw them and
 * described once (`fresh`); after that a scrape is two typed arrays, a series id and a value per
 * sample, which cross from a parse worker without copying (the API server's 12,000 kept samples,
 * sent as objects, took ~40 ms of the event loop to clone back on every scrape).
 */

export type Labels = Record<string, string>;

export interface FreshSeries {
  id: number;
  name: string;
  family: string;
  type: MetricType;
  labels: Labels;
}

export interface ScrapeBatch {
  families: Array<{ name: string; type: MetricType; help?: string }>;
  fresh: FreshSeries[];
  ids: Int32Array;
  values: Float64Array;
}

/** Process restarts: process_start_time_seconds, or the lab operator's re-exec marker, changed. */
export const START_TIME_SERIES = ['process_start_time_seconds', 'vitistack_start_time_seconds'];

/** Whether a store selecting `select` keeps a family (the restart markers always). */
export const keepFamily = (name: string, select: GoRegexp | undefined): boolean =>
  !select || select.test(name) || START_TIME_SERIES.includes(name);

/**
 * A series' identity: its name and its labels in name order, each value length-prefixed
 * (unambiguous whatever it contains, and ~3× cheaper than quoting it).
 */
export function seriesKey(name: string, labels: Labels): string {
  let keys = Object.keys(labels);
  for (let i = 1; i < keys.length; i++)
    if (keys[i - 1]! > keys[i]!) {
      keys = keys.sort();
      break;
    }
  let key = name;
  for (const k of keys) {
    const value = labels[k]!;
    key += `\u0000${k}\u0000${value.length}:${value}`;
  }
  return key;
}

/** Labels as own copies; fromEntries defines a label named __proto__ as data, as the parser does. */
const ownLabels = (labels: Labels): Labels =>
  Object.fromEntries(Object.entries(labels).map(([key, value]) => [ownCopy(key), ownCopy(value)]));

/** A written series whose family the store does not keep. */
const DROPPED = -1;
/** Series texts remembered per target; beyond this, new series are tokenized every scrape (bounded memory). */
const MAX_WRITTEN = 250_000;

/**
 * Encodes one target's expositions into batches for its store; one encoder per store.
 *
 * A target writes a series the same way at every scrape, so after the first scrape the encoder
 * recognises a sample line by its text (`takeLine`, given to the parser) and reads only its value:
 * no tokens, labels or key built, and a line of a family the store drops is skipped outright. On a
 * 5 MB exposition this is most of the parse's work.
 */
export class BatchEncoder {
  private readonly ids = new Map<string, number>();
  /**
   * series text as the target writes it → its id, or DROPPED. Keys here and in `ids`, and the names
   * and labels a batch describes (a store keeps them), are own copies: a slice of the scrape's text
   * would keep that whole text for the run. Copied here, on the parser's thread when it has one.
   */
  private readonly written = new Map<string, number>();
  /** this parse: line → series text of a simple line not yet known (learnt when encode() numbers it) */
  private readonly unknownLines = new Map<number, string>();
  /** this parse: the samples takeLine read */
  private takenIds: number[] = [];
  private takenValues: number[] = [];
  private takenLines = 0;
  /** the parse under way, and per series id the parse and the line where takeLine last read it */
  private parse = 0;
  private readonly takenIn: number[] = [];
  private readonly takenAt: number[] = [];

  constructor(private readonly select: GoRegexp | undefined) {}

  /** Number a series the store already holds (one loaded from a file), as encode() would have. */
  adopt(name: string, labels: Labels): number {
    const key = seriesKey(name, labels);
    const id = this.ids.get(key) ?? this.ids.size;
    this.ids.set(key, id);
    return id;
  }

  /** Lines of the parse under way that takeLine read (they are in no family of its exposition). */
  get taken(): number {
    return this.takenLines;
  }

  /** For parseExposition: a simple sample line of a series this encoder has numbered, read here. */
  readonly takeLine = (text: string, start: number, end: number, line: number): boolean => {
    const simple = simpleSample(text, start, end);
    if (!simple) return false;
    const series = text.slice(simple.seriesStart, simple.seriesEnd);
    const id = this.written.get(series);
    if (id === undefined) {
      this.unknownLines.set(line, series);
      return false;
    }
    const value = parseNumber(text.slice(simple.valueStart, simple.valueEnd));
    if (value === undefined) return false;
    this.takenLines++;
    if (id !== DROPPED) {
      this.takenIds.push(id);
      this.takenValues.push(value);
      this.takenIn[id] = this.parse;
      this.takenAt[id] = line;
    }
    return true;
  };

  /** For parseExposition: a family this encoder's store does not keep, passed over unread. */
  readonly skipFamily = (name: string): boolean => !keepFamily(name, this.select);

  encode(exposition: Exposition): ScrapeBatch {
    const kept: MetricFamily[] = [];
    for (const family of exposition.families.values()) {
      if (keepFamily(family.name, this.select)) kept.push(family);
      else if (this.unknownLines.size > 0)
        for (const sample of family.samples) this.learn(sample.line, DROPPED);
    }
    const taken = this.takenIds.length;
    const size = kept.reduce((n, family) => n + family.samples.length, taken);
    const batch: ScrapeBatch = {
      families: [],
      fresh: [],
      ids: new Int32Array(size),
      values: new Float64Array(size),
    };
    batch.ids.set(this.takenIds);
    batch.values.set(this.takenValues);
    let i = taken;
    for (const family of kept) {
      batch.families.push(
        family.help === undefined
          ? { name: ownCopy(family.name), type: family.type }
          : { name: ownCopy(family.name), type: family.type, help: ownCopy(family.help) },
      );
      for (const sample of family.samples) {
        const key = seriesKey(sample.name, sample.labels);
        let id = this.ids.get(key);
        if (id === undefined) {
          id = this.ids.size;
          this.ids.set(ownCopy(key), id);
          batch.fresh.push({
            id,
            name: ownCopy(sample.name),
            family: ownCopy(family.name),
            type: family.type,
            labels: ownLabels(sample.labels),
          });
        }
        this.learn(sample.line, id);
        // a series written twice: its last line's value, as when every line is tokenized
        if (this.takenIn[id] === this.parse && this.takenAt[id]! > sample.line) continue;
        batch.ids[i] = id;
        batch.values[i] = sample.value;
        i++;
      }
    }
    this.startParse();
    return i === size ? batch : { ...batch, ids: batch.ids.slice(0, i), values: batch.values.slice(0, i) };
  }

  /** Forget what takeLine saw in a parse that did not reach encode() (it failed). */
  startParse(): void {
    this.unknownLines.clear();
    this.takenIds = [];
    this.takenValues = [];
    this.takenLines = 0;
    this.parse++;
  }

  /** The series text of `line`, if takeLine saw it, stands for `id` from now on. */
  private learn(line: number, id: number): void {
    const series = this.unknownLines.get(line);
    if (series !== undefined && this.written.size < MAX_WRITTEN) this.written.set(ownCopy(series), id);
  }
}
