import type {
  ControllerSignals,
  ProcessSignals,
  SignalFlag,
  Signals,
} from '../../report/sections/signals.js';
import { maxOf } from '../../util/extremes.js';
import { histogramQuantile } from './quantile.js';
import type { Labels, TargetStore } from './store.js';

/**
 * Controller signals over a window of scrapes (the shapes and their meaning are in
 * src/report/sections/signals.ts, the RunResult's contract): computed here from counter increases
 * and histogram deltas.
 */

/** NaN or ±Infinity (no samples in the window) is stored as null: JSON has no NaN. */
const finiteOrNull = (value: number | null | undefined): number | null =>
  value !== null && value !== undefined && Number.isFinite(value) ? value : null;

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/** Points beyond this are thinned evenly before the pairwise slopes (their count grows as n²). */
const MAX_SLOPE_POINTS = 400;

/**
 * The Theil–Sen slope per minute: the median of the slopes between every two points. A controller
 * still starting when the run began (one low first scrape) or a single step does not tilt it, as they
 * tilt a least-squares line; a steady rise, which is what a leak looks like, does.
 */
function slopePerMinute(times: number[], values: number[]): number | null {
  const all = times.map((t, i) => [t / 60_000, values[i]!] as const).filter(([, v]) => !Number.isNaN(v));
  if (all.length < 3) return null;
  const step = Math.max(1, all.length / MAX_SLOPE_POINTS);
  const points = Array.from(
    { length: Math.min(all.length, MAX_SLOPE_POINTS) },
    (_, i) => all[Math.floor(i * step)]!,
  );
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]![0] - points[i]![0];
      if (dx > 0) slopes.push((points[j]![1] - points[i]![1]) / dx);
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const middle = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[middle]! : (slopes[middle - 1]! + slopes[middle]!) / 2;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

export function computeSignals(store: TargetStore, from = 0, to = store.size - 1): Signals {
  const seconds = store.seconds(from, to);
  const flags: SignalFlag[] = [];
  if (store.size < 3) {
    flags.push({
      signal: 'window',
      message: `only ${store.size} scrape(s): rates need at least 3`,
      fix: 'scrape longer or more often (--interval, --duration)',
    });
  }
  const perSecond = (value: number) => (seconds > 0 ? value / seconds : 0);
  const controllers = new Set<string>();
  for (const column of store.columns('controller_runtime_reconcile_total'))
    if (column.labels.controller) controllers.add(column.labels.controller);
  if (controllers.size === 0) {
    flags.push({
      signal: 'controller_runtime_reconcile_total',
      message: 'no controller-runtime reconcile metrics at this target',
      fix: 'check the port and path (the manager serves them at metrics.BindAddress, :8080/metrics by default; "0" turns metrics off)',
    });
  }
  const out: ControllerSignals[] = [];
  for (const controller of [...controllers].sort()) {
    const mine = (labels: Labels) => labels.controller === controller;
    const queue = (labels: Labels) => labels.name === controller || labels.controller === controller;
    const reconciles = store.increase('controller_runtime_reconcile_total', mine, from, to);
    const errors = store.increase(
      'controller_runtime_reconcile_total',
      (l) => mine(l) && l.result === 'error',
      from,
      to,
    );
    const requeues = store.increase(
      'controller_runtime_reconcile_total',
      (l) => mine(l) && (l.result === 'requeue' || l.result === 'requeue_after'),
      from,
      to,
    );
    const service = store.histogramDelta('controller_runtime_reconcile_time_seconds', mine, from, to);
    const queueTime = store.histogramDelta('workqueue_queue_duration_seconds', queue, from, to);
    const adds = store.increase('workqueue_adds_total', queue, from, to);
    const workers = store.latest('controller_runtime_max_concurrent_reconciles', mine) ?? null;
    const depth = store.gaugeValues('workqueue_depth', queue, from, to);
    const serviceMean = ratio(service.sum, service.count);
    const arrivalRate = perSecond(adds);
    const offeredLoad = arrivalRate * serviceMean;
    const queueWaitMean = ratio(queueTime.sum, queueTime.count);
    const depthMean = mean(depth) ?? 0;
    const littleExpected = arrivalRate * queueWaitMean;
    out.push({
      controller,
      arrivalRate,
      throughput: perSecond(reconciles),
      serviceMean,
      serviceP95: finiteOrNull(
        store.quantile('controller_runtime_reconcile_time_seconds', 0.95, mine, from, to),
      ),
      workers,
      activeWorkersMean: mean(store.gaugeValues('controller_runtime_active_workers', mine, from, to)),
      offeredLoad,
      utilization: workers ? offeredLoad / workers : null,
      queueWaitMean,
      queueDepthMean: depthMean,
      queueDepthMax: depth.length > 0 ? maxOf(depth) : 0,
      littlesLawGap: littleExpected > 0 ? finiteOrNull((depthMean - littleExpected) / littleExpected) : null,
      errorShare: ratio(errors, reconciles),
      requeueShare: ratio(requeues, reconciles),
      reconciles,
    });
    if (queueTime.count > 0) {
      flags.push({
        signal: `workqueue_queue_duration_seconds{name="${controller}"}`,
        message:
          'decade buckets (1e-8 … 1e3 s): its quantiles are coarse; the mean (Δsum/Δcount) is reported beside them',
      });
    }
  }
  const totalReconciles = out.reduce((sum, c) => sum + c.reconciles, 0);
  const restRequests = store.increase('rest_client_requests_total', undefined, from, to);
  const times = store.times.slice(from, to + 1);
  const goroutines = store.gaugeSeries('go_goroutines').slice(from, to + 1);
  const rss = store.gaugeValues('process_resident_memory_bytes', undefined, from, to);
  const gcCpu = store.increase('go_cpu_classes_gc_total_cpu_seconds_total', undefined, from, to);
  const allCpu = store.increase('go_cpu_classes_total_cpu_seconds_total', undefined, from, to);
  const intervalCpu: number[] = [];
  for (let i = from + 1; i <= to; i++) {
    const dt = store.seconds(i - 1, i);
    if (dt > 0 && store.has('process_cpu_seconds_total')) {
      intervalCpu.push(store.increase('process_cpu_seconds_total', undefined, i - 1, i) / dt);
    }
  }
  const process: ProcessSignals = {
    cpuCores: store.has('process_cpu_seconds_total')
      ? perSecond(store.increase('process_cpu_seconds_total', undefined, from, to))
      : null,
    cpuP90Cores: percentile(intervalCpu, 90),
    rssMeanBytes: mean(rss),
    rssP95Bytes: percentile(rss, 95),
    rssMaxBytes: rss.length > 0 ? maxOf(rss) : null,
    heapLiveBytes:
      store.latest('go_gc_heap_live_bytes') ?? store.latest('go_memstats_heap_alloc_bytes') ?? null,
    gcCpuShare: allCpu > 0 ? gcCpu / allCpu : null,
    goroutinesMean: mean(goroutines.filter((v) => !Number.isNaN(v))),
    goroutineSlopePerMinute: finiteOrNull(slopePerMinute(times, goroutines)),
    restRequestsPerSecond: perSecond(restRequests),
    restRequestsPerReconcile: totalReconciles > 0 ? restRequests / totalReconciles : null,
    rest429PerSecond: perSecond(
      store.increase('rest_client_requests_total', (l) => l.code === '429', from, to),
    ),
    gogc: store.latest('go_gc_gogc_percent') ?? null,
    gomemlimitBytes: store.latest('go_gc_gomemlimit_bytes') ?? null,
    restarts: store.restarts.filter((i) => i > from && i <= to).length,
  };
  if (process.restarts > 0)
    flags.push({
      signal: 'restart',
      message: `the process restarted ${process.restarts} time(s) in the window; counters were treated as reset`,
    });
  if (process.cpuCores === null)
    flags.push({
      signal: 'process_cpu_seconds_total',
      message: 'no process metrics: CPU and memory signals are missing',
    });
  const hits = store.increase('vitistack_cache_hits_total', undefined, from, to);
  const misses = store.increase('vitistack_cache_misses_total', undefined, from, to);
  const apiCalls = store.histogramDelta('vitistack_api_call_duration_seconds', undefined, from, to);
  const hasVitistack =
    store.has('vitistack_cache_hits_total') || store.has('vitistack_api_call_duration_seconds_count');
  return {
    target: store.target,
    windowSeconds: seconds,
    scrapes: to - from + 1,
    controllers: out,
    process,
    vitistack: hasVitistack
      ? {
          cacheHitRatio: hits + misses > 0 ? hits / (hits + misses) : null,
          apiCallMean: apiCalls.count > 0 ? apiCalls.sum / apiCalls.count : null,
          apiCallP10: apiCalls.count > 0 ? finiteOrNull(histogramQuantile(0.1, apiCalls.buckets)) : null,
          apiCalls: apiCalls.count,
          queueDepthMean: mean(store.gaugeValues('vitistack_queue_depth', undefined, from, to)),
        }
      : null,
    flags,
  };
}
