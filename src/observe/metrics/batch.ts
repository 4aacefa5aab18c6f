import type { Exposition, MetricType } from './model.js';

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
export const keepFamily = (name: string, select: RegExp | undefined): boolean =>
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

/** Encodes one target's expositions into batches for its store; one encoder per store. */
export class BatchEncoder {
  private readonly ids = new Map<string, number>();

  constructor(private readonly select: RegExp | undefined) {}

  /** Number a series the store already holds (one loaded from a file), as encode() would have. */
  adopt(name: string, labels: Labels): number {
    const key = seriesKey(name, labels);
    const id = this.ids.get(key) ?? this.ids.size;
    this.ids.set(key, id);
    return id;
  }

  encode(exposition: Exposition): ScrapeBatch {
    const kept = [...exposition.families.values()].filter((family) => keepFamily(family.name, this.select));
    const size = kept.reduce((n, family) => n + family.samples.length, 0);
    const batch: ScrapeBatch = {
      families: [],
      fresh: [],
      ids: new Int32Array(size),
      values: new Float64Array(size),
    };
    let i = 0;
    for (const family of kept) {
      batch.families.push(
        family.help === undefined
          ? { name: family.name, type: family.type }
          : { name: family.name, type: family.type, help: family.help },
      );
      for (const sample of family.samples) {
        const key = seriesKey(sample.name, sample.labels);
        let id = this.ids.get(key);
        if (id === undefined) {
          id = this.ids.size;
          this.ids.set(key, id);
          batch.fresh.push({
            id,
            name: sample.name,
            family: family.name,
            type: family.type,
            labels: sample.labels,
          });
        }
        batch.ids[i] = id;
        batch.values[i] = sample.value;
        i++;
      }
    }
    return batch;
  }
}
