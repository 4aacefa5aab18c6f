import type { Fail } from './exposition-error.js';
import type { MetricFamily, Sample } from './model.js';
import { compareDecimals, parseNumber } from './numbers.js';

/**
 * The rules across the samples of one family (strict mode): each series unique or with increasing
 * timestamps; in OpenMetrics metrics and their points not interleaved; each histogram point with
 * ordered, cumulative buckets, a +Inf bucket equal to its count, _sum if and only if _count; text
 * 0.0.4 summary quantiles in increasing order. One instance per family, dropped when the family ends,
 * so memory follows the largest family.
 */

/**
 * Series are told apart by a 32-bit hash of their labels, and two with the same hash by their labels
 * themselves (a collision costs one comparison, never a wrong verdict). The hash of a label set is the
 * sum of its labels' mixed hashes: the order the labels were written in does not matter, an empty
 * label (an absent one) adds nothing, and the hash of a metric's group is the series' hash less its
 * point label's. Building a string key per sample cost more than the rest of strict mode together.
 */
export function labelHash(name: string, value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x3d, 0x01000193); // "=" between name and value: ("ab","c") is not ("a","bc")
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  // murmur3's finalizer: sums of well-mixed hashes collide no more than the hashes do
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The hashes of a sample's labels: all of them (the series) and all but `without` (its group). */
function labelHashes(
  labels: Record<string, string>,
  without: string | undefined,
): { all: number; group: number } {
  let all = 0;
  let own = 0;
  for (const name in labels) {
    const value = labels[name]!;
    if (value === '') continue;
    const h = labelHash(name, value);
    all = (all + h) >>> 0;
    if (name === without) own = h;
  }
  return { all, group: (all - own) >>> 0 };
}

/** Whether two label sets are the same, `without` aside (an empty label is an absent one). */
function sameLabels(
  a: Record<string, string>,
  b: Record<string, string>,
  without: string | undefined,
): boolean {
  let count = 0;
  for (const name in a) {
    const value = a[name]!;
    if (value === '' || name === without) continue;
    if (b[name] !== value) return false;
    count++;
  }
  for (const name in b) if (b[name] !== '' && name !== without) count--;
  return count === 0;
}

/** By chance, three series of one hash among millions are already unlikely. */
const MAX_SAME_HASH = 64;

/** Samples by the hash of their labels; a collision keeps both, told apart by `same`. */
export class HashedSamples {
  private readonly first = new Map<number, Sample>();
  private more: Map<number, Sample[]> | undefined;

  find(hash: number, same: (other: Sample) => boolean): Sample | undefined {
    const first = this.first.get(hash);
    if (first === undefined || same(first)) return first;
    return this.more?.get(hash)?.find(same);
  }

  /**
   * Adds `sample`, or puts it in the place of `previous` (found with the same hash). Past
   * MAX_SAME_HASH samples of one hash (never by chance: an input made to collide, which would make
   * every lookup a scan) `fail` is called.
   */
  put(hash: number, sample: Sample, previous: Sample | undefined, fail: Fail): void {
    if (previous === undefined && !this.first.has(hash)) this.first.set(hash, sample);
    else if (previous === undefined) {
      this.more ??= new Map();
      const list = this.more.get(hash);
      if (list && list.length + 1 >= MAX_SAME_HASH)
        fail(`more than ${MAX_SAME_HASH} series share one label hash: an input made to collide`);
      if (list) list.push(sample);
      else this.more.set(hash, [sample]);
    } else if (this.first.get(hash) === previous) this.first.set(hash, sample);
    else {
      const list = this.more!.get(hash)!;
      list[list.indexOf(previous)] = sample;
    }
  }
}

function describe(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

interface HistogramPoint {
  line: number;
  buckets: number;
  lastBound: number;
  lastCount: number;
  inf?: number;
  count?: number;
  sum: boolean;
  negativeBucket: boolean;
  negativeGsum: boolean;
}

export class FamilyPoints {
  /** every series so far, its last sample (the one with its last timestamp) */
  private readonly series = new HashedSamples();
  /** OpenMetrics: a sample of every metric group so far */
  private readonly groups = new HashedSamples();
  /** the current group (OpenMetrics) and point: a sample of it, and its hash */
  private group: Sample | undefined;
  private groupHash = 0;
  private groupTimestamp: string | undefined;
  private point: Sample | undefined;
  private pointHash = 0;
  private histogram: HistogramPoint | undefined;
  private lastQuantile = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly family: MetricFamily,
    private readonly openMetrics: boolean,
  ) {}

  /** The label that is the point's own (le, quantile, the state), not the metric's. */
  private pointLabel(suffix: string): string | undefined {
    switch (this.family.type) {
      case 'summary':
        return suffix === '' ? 'quantile' : undefined;
      case 'stateset':
        return this.family.name;
      case 'histogram':
      case 'gaugehistogram':
        return suffix === '_bucket' ? 'le' : undefined;
      default:
        return undefined;
    }
  }

  add(sample: Sample, suffix: string, fail: Fail): void {
    const without = this.pointLabel(suffix);
    const hashes = labelHashes(sample.labels, without);
    const info = this.family.type === 'info';
    // an info family is one group, whatever its labels
    const groupHash = info ? 0 : hashes.group;
    const sameGroup = (other: Sample) =>
      info || sameLabels(other.labels, sample.labels, without ?? this.pointLabel(this.suffixOf(other)));
    if (this.openMetrics) this.checkInterleaving(sample, groupHash, sameGroup, fail);
    this.checkSeries(sample, hashes.all, fail);
    const point = this.point;
    if (
      point === undefined ||
      groupHash !== this.pointHash ||
      point.timestamp !== sample.timestamp ||
      !sameGroup(point)
    ) {
      this.finishPoint(fail);
      this.point = sample;
      this.pointHash = groupHash;
      this.lastQuantile = Number.NEGATIVE_INFINITY;
    }
    if (this.family.type === 'histogram' || this.family.type === 'gaugehistogram')
      this.addToHistogram(sample, suffix, fail);
    else if (this.family.type === 'summary' && suffix === '' && !this.openMetrics)
      this.quantileOrder(sample, fail);
  }

  /** What a sample's name adds to the family's (an earlier sample's point label depends on it). */
  private suffixOf(sample: Sample): string {
    return sample.name.slice(this.family.name.length);
  }

  private checkSeries(sample: Sample, hash: number, fail: Fail): void {
    const previous = this.series.find(
      hash,
      (other) => other.name === sample.name && sameLabels(other.labels, sample.labels, undefined),
    );
    const timestamp = sample.timestamp ?? '';
    if (previous !== undefined) {
      const before = previous.timestamp ?? '';
      if (before === '' || timestamp === '')
        fail(`duplicate sample ${describe(sample.name, sample.labels)} (a repeated series needs timestamps)`);
      if (compareDecimals(timestamp, before) <= 0)
        fail(
          `${describe(sample.name, sample.labels)}: timestamp ${timestamp} does not increase (after ${before})`,
        );
    }
    this.series.put(hash, sample, previous, fail);
  }

  private checkInterleaving(
    sample: Sample,
    hash: number,
    sameGroup: (other: Sample) => boolean,
    fail: Fail,
  ): void {
    const current = this.group;
    if (current === undefined || hash !== this.groupHash || !sameGroup(current)) {
      if (this.groups.find(hash, sameGroup) !== undefined)
        fail(
          `${describe(sample.name, sample.labels)}: the samples of one metric must not be interleaved with another's`,
        );
      this.groups.put(hash, sample, undefined, fail);
      this.group = sample;
      this.groupHash = hash;
      this.groupTimestamp = sample.timestamp;
      return;
    }
    if ((sample.timestamp === undefined) !== (this.groupTimestamp === undefined))
      fail(`${describe(sample.name, sample.labels)}: a metric's samples have timestamps either all or none`);
    if (
      sample.timestamp !== undefined &&
      this.groupTimestamp !== undefined &&
      this.family.type !== 'info' &&
      compareDecimals(sample.timestamp, this.groupTimestamp) < 0
    )
      fail(
        `${describe(sample.name, sample.labels)}: timestamp ${sample.timestamp} goes back (after ${this.groupTimestamp})`,
      );
    this.groupTimestamp = sample.timestamp;
  }

  private quantileOrder(sample: Sample, fail: Fail): void {
    const q = parseNumber(sample.labels.quantile ?? '') ?? Number.NaN;
    if (!(q > this.lastQuantile))
      fail(`${describe(sample.name, sample.labels)}: quantiles must be in increasing order`);
    this.lastQuantile = q;
  }

  private addToHistogram(sample: Sample, suffix: string, fail: Fail): void {
    this.histogram ??= {
      line: sample.line,
      buckets: 0,
      lastBound: Number.NEGATIVE_INFINITY,
      lastCount: 0,
      sum: false,
      negativeBucket: false,
      negativeGsum: false,
    };
    const point = this.histogram;
    if (suffix === '_bucket') {
      const bound = parseNumber(sample.labels.le ?? '') ?? Number.NaN;
      if (point.buckets > 0 && !(bound > point.lastBound))
        fail(
          `${describe(sample.name, sample.labels)}: buckets must be in increasing order of le, each bound once`,
        );
      if (sample.value < point.lastCount)
        fail(
          `${describe(sample.name, sample.labels)}: buckets are cumulative (${sample.value} < ${point.lastCount})`,
        );
      const exemplar = sample.exemplar;
      if (exemplar && !(exemplar.value <= bound && (point.buckets === 0 || exemplar.value > point.lastBound)))
        fail(
          `${describe(sample.name, sample.labels)}: the exemplar value ${exemplar.value} is outside the bucket`,
        );
      if (bound < 0) point.negativeBucket = true;
      if (bound === Number.POSITIVE_INFINITY) point.inf = sample.value;
      point.buckets++;
      point.lastBound = bound;
      point.lastCount = sample.value;
    } else if (suffix === '_count' || suffix === '_gcount') {
      point.count = sample.value;
    } else if (suffix === '_sum' || suffix === '_gsum') {
      point.sum = true;
      if (sample.value < 0) point.negativeGsum = true;
    }
  }

  /** The checks of a finished histogram point. */
  finishPoint(fail: Fail): void {
    const point = this.histogram;
    this.histogram = undefined;
    if (!point) return;
    const at = (message: string) => fail(`histogram ${this.family.name}: ${message}`, undefined, point.line);
    if (point.inf === undefined) at('a point has no le="+Inf" bucket');
    if (point.count !== undefined && point.count !== point.inf)
      at(`the count (${point.count}) differs from the +Inf bucket (${point.inf})`);
    if (!this.openMetrics) return;
    const gauge = this.family.type === 'gaugehistogram';
    const [sum, count] = gauge ? ['_gsum', '_gcount'] : ['_sum', '_count'];
    if (point.sum && point.count === undefined) at(`${sum} without ${count}`);
    if (!point.sum && point.count !== undefined) at(`${count} without ${sum}`);
    if (!gauge && point.sum && point.negativeBucket) at('a point with negative buckets cannot have a _sum');
    if (gauge && point.negativeGsum && !point.negativeBucket) at('a negative _gsum needs negative buckets');
  }
}
