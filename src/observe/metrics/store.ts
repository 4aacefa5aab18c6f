import type { GoRegexp } from '../../util/go-regexp.js';
import { BatchEncoder, type Labels, type ScrapeBatch, START_TIME_SERIES, seriesKey } from './batch.js';
import type { Exposition, MetricType } from './model.js';
import { type Bucket, counterIncrease, histogramQuantile } from './quantile.js';
import { SeriesValues } from './series-values.js';

/**
 * Scrapes of one target kept as columns: one array of times, and per series its values aligned to it
 * (NaN where the series was absent). Memory grows with the series' changes, not with exposition text
 * or with scrapes of values that did not move.
 */

export interface SeriesColumn {
  name: string;
  family: string;
  labels: Labels;
  values: SeriesValues;
}

/** A value as a scrapes file holds it: JSON has no NaN or infinities. */
export type SavedValue = number | null | '+Inf' | '-Inf';

/** A column as a scrapes file holds it: NaN (absent) as null, ±Inf as "+Inf"/"-Inf". */
export interface SavedSeries {
  name: string;
  family: string;
  labels: Labels;
  values: SavedValue[];
}

function toSaved(value: number): SavedValue {
  if (Number.isNaN(value)) return null;
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return value;
}

function fromSaved(value: SavedValue): number {
  if (value === null) return Number.NaN;
  if (value === '+Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return value;
}

export type Matcher = (labels: Labels) => boolean;

/** A bucket bound: a float, with Prometheus's "+Inf" (which parseFloat does not read). */
function parseBound(text: string | undefined): number {
  if (text === undefined) return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number.parseFloat(text);
}
const any: Matcher = () => true;

export type { Labels } from './batch.js';

interface HistogramIndex {
  buckets: Map<string, SeriesColumn[]>;
  sums: Map<string, SeriesColumn>;
}

export interface SavedTarget {
  target: string;
  times: number[];
  restarts: number[];
  families: Record<string, { type: MetricType; help?: string }>;
  series: SavedSeries[];
}

export class TargetStore {
  readonly times: number[] = [];
  /** indices i where a restart happened between scrape i−1 and i */
  readonly restarts: number[] = [];
  readonly families = new Map<string, { type: MetricType; help?: string }>();
  /** columns by the encoder's series id */
  private readonly byId: SeriesColumn[] = [];
  private readonly byName = new Map<string, SeriesColumn[]>();
  private readonly encoder: BatchEncoder;
  private readonly histogramIndexes = new Map<string, HistogramIndex>();

  constructor(
    readonly target: string,
    /** keep only families whose name matches (e.g. --select) */
    select: GoRegexp | undefined = undefined,
  ) {
    this.encoder = new BatchEncoder(select);
  }

  /** Take one scrape parsed on this thread. */
  add(at: number, exposition: Exposition): void {
    this.addBatch(at, this.encoder.encode(exposition));
  }

  /** Take one scrape encoded elsewhere (a parse worker); every batch must come from one encoder. */
  addBatch(at: number, batch: ScrapeBatch): void {
    const index = this.times.length;
    this.times.push(at);
    this.histogramIndexes.clear();
    // a batch's names and labels are the encoder's own copies, never views of the scrape's text
    for (const family of batch.families) {
      if (!this.families.has(family.name))
        this.families.set(
          family.name,
          family.help === undefined ? { type: family.type } : { type: family.type, help: family.help },
        );
    }
    for (const fresh of batch.fresh) {
      const column: SeriesColumn = {
        name: fresh.name,
        family: fresh.family,
        labels: fresh.labels,
        values: SeriesValues.absent(index),
      };
      // Prometheus clients create a labelled series at its first event (the API server's request
      // metrics, a controller's reconcile time after a restart): a counter or histogram first seen
      // after the first scrape was 0 at the scrape before, so the events in it are counted
      if (index > 0 && (fresh.type === 'counter' || fresh.type === 'histogram'))
        column.values.put(index - 1, 0);
      this.byId[fresh.id] = column;
      const list = this.byName.get(column.name) ?? [];
      list.push(column);
      this.byName.set(column.name, list);
    }
    for (let i = 0; i < batch.ids.length; i++) {
      const column = this.byId[batch.ids[i]!];
      if (!column) throw new Error(`scrape batch: series ${batch.ids[i]} was never described to this store`);
      column.values.put(index, batch.values[i]!);
    }
    for (const column of this.byId) if (column.values.length <= index) column.values.put(index, Number.NaN);
    if (index > 0 && START_TIME_SERIES.some((name) => this.changed(name, index))) this.restarts.push(index);
  }

  private changed(name: string, index: number): boolean {
    for (const column of this.byName.get(name) ?? []) {
      const before = column.values.at(index - 1);
      const now = column.values.at(index);
      if (!Number.isNaN(before) && !Number.isNaN(now) && before !== now) return true;
    }
    return false;
  }

  get size(): number {
    return this.times.length;
  }

  has(name: string): boolean {
    return (this.byName.get(name)?.length ?? 0) > 0;
  }

  columns(name: string, match: Matcher = any): SeriesColumn[] {
    return (this.byName.get(name) ?? []).filter((column) => match(column.labels));
  }

  private window(from: number, to: number): [number, number] {
    return [Math.max(0, from), Math.min(this.times.length - 1, to)];
  }

  /** Seconds between scrape `from` and scrape `to`. */
  seconds(from = 0, to = this.times.length - 1): number {
    const [a, b] = this.window(from, to);
    return ((this.times[b] ?? 0) - (this.times[a] ?? 0)) / 1000;
  }

  private resetBefore(from: number) {
    const restarts = new Set(this.restarts);
    return (i: number) => restarts.has(from + i);
  }

  /** Sum over matching series of each one's increase in the window (resets handled). */
  increase(name: string, match: Matcher = any, from = 0, to = this.times.length - 1): number {
    const [a, b] = this.window(from, to);
    let total = 0;
    for (const column of this.columns(name, match))
      total += counterIncrease(column.values.slice(a, b + 1), this.resetBefore(a));
    return total;
  }

  /** Every sampled value of matching gauges in the window. */
  gaugeValues(name: string, match: Matcher = any, from = 0, to = this.times.length - 1): number[] {
    const [a, b] = this.window(from, to);
    const out: number[] = [];
    for (const column of this.columns(name, match)) {
      for (const value of column.values.slice(a, b + 1)) if (!Number.isNaN(value)) out.push(value);
    }
    return out;
  }

  /** Per scrape, the sum of matching gauges (NaN where none was present). */
  gaugeSeries(name: string, match: Matcher = any): number[] {
    const columns = this.columns(name, match);
    return this.times.map((_, i) => {
      let sum = Number.NaN;
      for (const column of columns) {
        const value = column.values.at(i);
        if (!Number.isNaN(value)) sum = (Number.isNaN(sum) ? 0 : sum) + value;
      }
      return sum;
    });
  }

  latest(name: string, match: Matcher = any): number | undefined {
    const values = this.gaugeSeries(name, match);
    for (let i = values.length - 1; i >= 0; i--) if (!Number.isNaN(values[i]!)) return values[i];
    return undefined;
  }

  /**
   * A histogram's bucket increases in the window, summed over matching label sets; a decrease of its
   * _count (or a restart) resets the whole histogram for that interval. Every observation raises
   * _count, so it is the surest sign of a restart; judged bucket by bucket, a bucket that grew past
   * its old value after a restart would be read as an increase and mix counts from both processes.
   */
  histogramDelta(
    family: string,
    match: Matcher = any,
    from = 0,
    to = this.times.length - 1,
  ): { buckets: Bucket[]; sum: number; count: number } {
    const [a, b] = this.window(from, to);
    const restarts = new Set(this.restarts);
    const counts = this.columns(`${family}_count`, match);
    const bucketsByLe = new Map<number, number>();
    let sum = 0;
    let count = 0;
    const index = this.histogramIndex(family);
    for (const countColumn of counts) {
      const base = seriesKey('', countColumn.labels);
      const bucketColumns = index.buckets.get(base) ?? [];
      const sumColumn = index.sums.get(base);
      for (let i = a + 1; i <= b; i++) {
        const previous = countColumn.values.at(i - 1);
        const now = countColumn.values.at(i);
        if (Number.isNaN(previous) || Number.isNaN(now)) continue;
        const reset = now < previous || restarts.has(i);
        const delta = (column: SeriesColumn | undefined) => {
          if (!column) return 0;
          const p = column.values.at(i - 1);
          const v = column.values.at(i);
          if (Number.isNaN(v)) return 0;
          return reset || Number.isNaN(p) ? v : v - p;
        };
        count += reset ? now : now - previous;
        sum += delta(sumColumn);
        for (const column of bucketColumns) {
          const le = parseBound(column.labels.le); // "1", "1.0" and "1e0" are one bound
          if (Number.isNaN(le)) continue;
          bucketsByLe.set(le, (bucketsByLe.get(le) ?? 0) + delta(column));
        }
      }
    }
    const buckets = [...bucketsByLe.entries()].map(([le, c]) => ({ le, count: c }));
    return { buckets, sum, count };
  }

  /**
   * A histogram's _bucket columns by their label set without le, and its _sum columns by label set
   * (one pass, kept until the next scrape: a window's quantiles ask for them per label set).
   */
  private histogramIndex(family: string): HistogramIndex {
    let index = this.histogramIndexes.get(family);
    if (!index) {
      index = { buckets: new Map(), sums: new Map() };
      for (const column of this.byName.get(`${family}_bucket`) ?? []) {
        const { le: _, ...labels } = column.labels;
        const key = seriesKey('', labels);
        const list = index.buckets.get(key) ?? [];
        list.push(column);
        index.buckets.set(key, list);
      }
      for (const column of this.byName.get(`${family}_sum`) ?? [])
        index.sums.set(seriesKey('', column.labels), column);
      this.histogramIndexes.set(family, index);
    }
    return index;
  }

  quantile(family: string, q: number, match: Matcher = any, from = 0, to = this.times.length - 1): number {
    return histogramQuantile(q, this.histogramDelta(family, match, from, to).buckets);
  }

  save(): SavedTarget {
    return {
      target: this.target,
      times: this.times,
      restarts: this.restarts,
      families: Object.fromEntries(this.families),
      series: this.byId.map((column) => ({ ...column, values: column.values.toArray().map(toSaved) })),
    };
  }

  static load(saved: SavedTarget): TargetStore {
    const store = new TargetStore(saved.target);
    // a loop, not push(...): a long saved run would overflow the call's arguments
    for (const time of saved.times) store.times.push(time);
    for (const restart of saved.restarts) store.restarts.push(restart);
    for (const [name, meta] of Object.entries(saved.families)) store.families.set(name, meta);
    for (const column of saved.series) {
      const restored = {
        ...column,
        values: SeriesValues.from(column.values.map(fromSaved)),
      };
      store.byId[store.encoder.adopt(column.name, column.labels)] = restored;
      const list = store.byName.get(column.name) ?? [];
      list.push(restored);
      store.byName.set(column.name, list);
    }
    return store;
  }
}
