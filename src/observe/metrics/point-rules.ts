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
 * Labels as unambiguous keys (name and value length-prefixed, empty values left out: an empty label
 * is an absent one): of all of them (the series) and of all but `without` (the metric's group).
 */
function labelKeys(
  labels: Record<string, string>,
  without: string | undefined,
): { all: string; group: string } {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let all = '';
  let group = '';
  for (const name of names) {
    const value = labels[name]!;
    if (value === '') continue;
    const part = `${name.length}:${name}${value.length}:${value}`;
    all += part;
    if (name !== without) group += part;
  }
  return { all, group };
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
  /** series key → its last timestamp ('' when it had none) */
  private readonly series = new Map<string, string>();
  private readonly groups = new Set<string>();
  private group: string | undefined;
  private groupTimestamp: string | undefined;
  private histogram: HistogramPoint | undefined;
  private pointKey: string | undefined;
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
    const keys = labelKeys(sample.labels, this.pointLabel(suffix));
    const group = this.family.type === 'info' ? '' : keys.group;
    if (this.openMetrics) this.checkInterleaving(sample, group, fail);
    this.checkSeries(sample, keys.all, fail);
    const pointKey = `${group}\u0000${sample.timestamp ?? ''}`;
    if (pointKey !== this.pointKey) {
      this.finishPoint(fail);
      this.pointKey = pointKey;
      this.lastQuantile = Number.NEGATIVE_INFINITY;
    }
    if (this.family.type === 'histogram' || this.family.type === 'gaugehistogram')
      this.addToHistogram(sample, suffix, fail);
    else if (this.family.type === 'summary' && suffix === '' && !this.openMetrics)
      this.quantileOrder(sample, fail);
  }

  private checkSeries(sample: Sample, labels: string, fail: Fail): void {
    const key = `${sample.name}\u0000${labels}`;
    const previous = this.series.get(key);
    const timestamp = sample.timestamp ?? '';
    if (previous !== undefined) {
      if (previous === '' || timestamp === '')
        fail(`duplicate sample ${describe(sample.name, sample.labels)} (a repeated series needs timestamps)`);
      if (compareDecimals(timestamp, previous) <= 0)
        fail(
          `${describe(sample.name, sample.labels)}: timestamp ${timestamp} does not increase (after ${previous})`,
        );
    }
    this.series.set(key, timestamp);
  }

  private checkInterleaving(sample: Sample, group: string, fail: Fail): void {
    if (group !== this.group) {
      if (this.groups.has(group))
        fail(
          `${describe(sample.name, sample.labels)}: the samples of one metric must not be interleaved with another's`,
        );
      this.groups.add(group);
      this.group = group;
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
