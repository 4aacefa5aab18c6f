import type { ObserveTarget, RunResult } from '../report/run-result.js';
import type { Sizing } from '../report/sections/tune.js';
import { maxOf } from '../util/extremes.js';
import { fitLine, median } from './fit.js';

/**
 * Memory and CPU for the object count the controller will really cache and the rate it will really see:
 * live heap = base + per-object × cached objects and CPU = base + per-object/s × completion rate, both
 * least squares over the run's scrapes; the need at N is the overhead beyond the heap's GC goal plus
 * the heap at N grown to its goal (× (1 + GOGC/100)).
 */

export interface SizingInput {
  run: RunResult;
  target: ObserveTarget;
  objects: { count: number; source: Sizing['objectsSource'] } | undefined;
  peakRate: number;
  gogc: number;
}

/** Beyond ten times the objects a run held, the per-object slope is carried far from its data. */
const EXTRAPOLATION_FACTOR = 10;

/** Cumulative count of `field` per second of the apply series, read at `t` seconds. */
function cumulativeAt(
  series: ReadonlyArray<{ t: number; created: number; ready: number }>,
  field: 'created' | 'ready',
) {
  const cumulative: number[] = [];
  let total = 0;
  for (const point of series) {
    total += point[field];
    cumulative[point.t] = total;
  }
  return (t: number) => {
    if (cumulative.length === 0) return 0;
    const second = Math.min(cumulative.length - 1, Math.max(0, Math.floor(t)));
    return cumulative[second] ?? 0;
  };
}

export function sizeFor(input: SizingInput): Sizing | null {
  const { run, target } = input;
  const apply = run.apply;
  const series = target.process ?? [];
  if (!apply || series.length === 0) return null;
  const plurals = new Set(apply.sets.map((set) => set.plural));
  // what the cache held before the load: the API server's count of the scenario's resources less this
  // run's creates (its count lags, so never below zero)
  const stored = (run.apiserver?.objects ?? [])
    .filter((row) => plurals.has(row.resource.split('.')[0] ?? ''))
    .reduce((sum, row) => sum + row.count, 0);
  const baseline = Math.max(0, stored - apply.counts.created);
  const created = cumulativeAt(apply.series, 'created');
  const ready = cumulativeAt(apply.series, 'ready');
  const objectsSeen = baseline + apply.counts.created;
  const objects = input.objects ?? { count: objectsSeen, source: 'run' as const };
  const goal = 1 + input.gogc / 100;

  const heapPoints = series.flatMap(
    (point): Array<[number, number]> =>
      point.heapLiveBytes === null ? [] : [[baseline + created(point.t), point.heapLiveBytes]],
  );
  const heapLine = fitLine(heapPoints);
  let memory: Sizing['memory'] = null;
  if (heapLine) {
    const perObject = Math.max(0, heapLine.slope);
    const heapBase = perObject > 0 ? Math.max(0, heapLine.intercept) : median(heapPoints.map(([, y]) => y));
    const overheads = series.flatMap((point) =>
      point.rssBytes === null || point.heapLiveBytes === null
        ? []
        : [point.rssBytes - point.heapLiveBytes * goal],
    );
    const overhead = Math.max(0, median(overheads));
    const rssMax = Math.max(0, maxOf(series.map((point) => point.rssBytes ?? 0)));
    const modelled = overhead + (heapBase + perObject * objects.count) * goal;
    memory = {
      heapBaseBytes: Math.round(heapBase),
      heapPerObjectBytes: Math.round(perObject),
      overheadBytes: Math.round(overhead),
      gogc: input.gogc,
      // the run itself is a measurement of the need at its own size: never below what it used
      needBytes: Math.round(objects.count >= objectsSeen ? Math.max(modelled, rssMax) : modelled),
      points: heapPoints.length,
    };
  }

  // CPU against the rate objects became ready in each scrape interval
  const cpuPoints = series.flatMap((point, i): Array<[number, number]> => {
    const previous = series[i - 1];
    if (!previous || point.cpuCores === null || point.t <= previous.t) return [];
    return [[(ready(point.t) - ready(previous.t)) / (point.t - previous.t), point.cpuCores]];
  });
  const cpuLine = fitLine(cpuPoints);
  const cpu: Sizing['cpu'] = cpuLine
    ? {
        baseCores: Math.max(0, cpuLine.intercept),
        coresPerObjectPerSecond: Math.max(0, cpuLine.slope),
        needCores: Math.max(0, cpuLine.intercept) + Math.max(0, cpuLine.slope) * input.peakRate,
        points: cpuPoints.length,
      }
    : null;

  const extrapolated =
    objects.count > EXTRAPOLATION_FACTOR * objectsSeen
      ? `extrapolated to ${objects.count} objects from a run that held ${objectsSeen} (${heapPoints.length} scrapes${memory ? `, ${Math.round(memory.heapPerObjectBytes)} B of live heap per object` : ''}): confirm with a run nearer that size`
      : null;
  return {
    objects: objects.count,
    objectsSource: objects.source,
    objectsSeen,
    peakRate: input.peakRate,
    extrapolated,
    memory,
    cpu,
  };
}
