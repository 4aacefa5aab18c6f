import type { PerformanceConfig } from '../config/performance-schema.js';
import type { ControllerSignals, ProcessSignals, VitistackSignals } from '../report/sections/signals.js';
import type {
  Bottleneck,
  Diagnosis,
  EffectiveSettings,
  Recommendation,
  Sizing,
} from '../report/sections/tune.js';
import type { ApiServerPressure } from './apiserver-load.js';
import { parseCpuCores, parseQuantityBytes } from './performance-config.js';

export interface RuleContext {
  controller: ControllerSignals;
  process: ProcessSignals;
  vitistack: VitistackSignals | null;
  current: PerformanceConfig | undefined;
  settings: EffectiveSettings;
  /** λ used for sizing: --peak-rate, else the measured arrival rate */
  lambda: number;
  /** calibrated work time per reconcile (limiter waits removed), s */
  workSeconds: number;
  /** the limiter hid the work time: workSeconds is S̄ itself, an upper bound */
  workHidden: boolean;
  beta: number;
  maxWorkers: number;
  objects: number;
  windowSeconds: number;
  apiserver: ApiServerPressure;
  sizing: Sizing | null;
  /** --objects or the cluster's live count, when given */
  objectsToSize: number | undefined;
}

const r3 = (value: number) => Math.round(value * 1000) / 1000;
const ms = (seconds: number) => `${Math.round(seconds * 1000)}ms`;
const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;

function unchanged(
  knob: string,
  current: Recommendation['current'],
  why: string,
  evidence: Recommendation['evidence'] = {},
): Recommendation {
  return { knob, current, recommended: current, changed: false, why, evidence };
}

/** Goroutines rising under steady load, or work that never finishes: no tuning on top of a leak. */
function detectLeak(ctx: Pick<RuleContext, 'process' | 'windowSeconds'>): string | undefined {
  const { goroutineSlopePerMinute: slope, goroutinesMean: mean } = ctx.process;
  if (slope === null || mean === null || ctx.windowSeconds < 30) return undefined;
  if (slope > Math.max(10, 0.1 * mean)) {
    return `goroutines rise by ${r3(slope)}/min (mean ${Math.round(mean)}) over ${Math.round(ctx.windowSeconds)}s of load: a leak; fix it before tuning (vitictl pprof goroutines)`;
  }
  return undefined;
}

/** What helps when the API server, not the controller, limits: never more concurrency or QPS into it. */
const APISERVER_INSTEAD = [
  'fewer API calls per reconcile: read from the informer cache instead of uncached GETs, one status write per reconcile (patch, not get + update)',
  'larger batches (controller.batchSize) so one call carries more objects',
  "the controller's API Priority and Fairness priority level: a FlowSchema that puts its service account on a level with more seats (or the load generator's on a lower one)",
];

export function diagnose(ctx: RuleContext): Diagnosis {
  const leak = detectLeak(ctx);
  if (leak) return { bottleneck: 'leak', message: leak, evidence: {}, instead: [] };
  const c = ctx.controller;
  const waitShare = c.serviceMean > 0 ? 1 - ctx.workSeconds / c.serviceMean : 0;
  const rho = (ctx.lambda * ctx.workSeconds) / Math.max(1, ctx.settings.workers);
  const controllerEvidence = {
    'λ (reconciles/s)': r3(ctx.lambda),
    'S̄ (s)': r3(c.serviceMean),
    'S work (s)': r3(ctx.workSeconds),
    W: ctx.settings.workers,
    ρ: r3(rho),
    'W̄q (s)': r3(c.queueWaitMean),
    'REST/s': r3(ctx.process.restRequestsPerSecond),
    QPS: ctx.settings.qps > 0 ? ctx.settings.qps : null,
  };
  // the API server first: raising concurrency or QPS into a saturated server only lengthens its queues
  if (ctx.apiserver.saturated) {
    return {
      bottleneck: 'apiserver',
      message: `the API server is saturated: ${ctx.apiserver.signs.join('; ')}. More workers or a higher QPS would add load where it queues`,
      evidence: { ...ctx.apiserver.evidence, ...controllerEvidence },
      instead: APISERVER_INSTEAD,
    };
  }
  // the REST rate sitting at the limit is evidence on its own (the work may be hidden behind it)
  const atLimit = ctx.settings.qps > 0 && ctx.process.restRequestsPerSecond >= 0.9 * ctx.settings.qps;
  if (ctx.settings.qps > 0 && (waitShare > 0.2 || atLimit)) {
    return {
      bottleneck: 'client-qps',
      message:
        `the client-side rate limit (QPS ${ctx.settings.qps}, burst ${ctx.settings.burst}) is the bottleneck: ` +
        `${waitShare > 0.2 ? `${Math.round(waitShare * 100)}% of each ${ms(c.serviceMean)} reconcile is spent waiting for it` : 'the client runs at its limit'} ` +
        `(REST ${r3(ctx.process.restRequestsPerSecond)}/s at ${r3(ctx.process.restRequestsPerReconcile ?? 0)} per reconcile); ` +
        'more workers would only wait longer. The limit is per object type (one REST client per GVK).',
      evidence: { ...controllerEvidence, 'limiter wait share': r3(Math.max(0, waitShare)) },
      instead: [],
    };
  }
  const cpuLimit = parseCpuCores(ctx.current?.resourceOptimization?.cpu?.limit);
  if (
    cpuLimit !== undefined &&
    ctx.process.cpuP90Cores !== null &&
    ctx.process.cpuP90Cores >= 0.9 * cpuLimit
  ) {
    return {
      bottleneck: 'cpu',
      message: `CPU-bound: p90 ${r3(ctx.process.cpuP90Cores)} cores against a limit of ${cpuLimit}`,
      evidence: { 'cpu p90 (cores)': r3(ctx.process.cpuP90Cores), 'cpu limit': cpuLimit },
      instead: ['raise or remove the CPU limit before adding workers'],
    };
  }
  const memoryLimit = parseQuantityBytes(ctx.current?.resourceOptimization?.memory?.limit);
  const gcShare = ctx.process.gcCpuShare ?? 0;
  const rssMax = ctx.process.rssMaxBytes;
  if (gcShare > 0.25 || (memoryLimit !== undefined && rssMax !== null && rssMax >= 0.9 * memoryLimit)) {
    return {
      bottleneck: 'memory',
      message:
        gcShare > 0.25
          ? `memory/GC-bound: the GC uses ${Math.round(gcShare * 100)}% of the CPU`
          : `memory-bound: max RSS ${mib(rssMax ?? 0)} is ${Math.round(((rssMax ?? 0) / (memoryLimit ?? 1)) * 100)}% of the ${ctx.current?.resourceOptimization?.memory?.limit} limit`,
      evidence: { 'gc cpu share': r3(gcShare), 'rss max': rssMax === null ? null : mib(rssMax) },
      instead: ['raise the memory limit and GOMEMLIMIT to the modelled need (below), then tune workers'],
    };
  }
  if (rho > 0.7) {
    return {
      bottleneck: 'workers',
      message: `queueing for workers: offered load ${r3(ctx.lambda * ctx.workSeconds)} on ${ctx.settings.workers} worker(s) (ρ ${r3(rho)}), queue wait ${ms(c.queueWaitMean)}`,
      evidence: controllerEvidence,
      instead: [],
    };
  }
  return {
    bottleneck: 'none',
    message: `no bottleneck at this load: ρ ${r3(rho)}, no throttling, the API server keeps up`,
    evidence: controllerEvidence,
    instead: [],
  };
}

export function workersRule(ctx: RuleContext, bottleneck: Bottleneck): Recommendation {
  const knob = 'controller.maxConcurrentReconciles';
  const current = ctx.settings.workers;
  const a = ctx.lambda * ctx.workSeconds;
  const target = Math.min(ctx.maxWorkers, Math.max(1, Math.ceil(a + ctx.beta * Math.sqrt(a))));
  const rho = a / Math.max(1, current);
  const evidence = {
    'λ (arrivals/s)': r3(ctx.lambda),
    'S work (s)': r3(ctx.workSeconds),
    'S̄ measured (s)': r3(ctx.controller.serviceMean),
    'a = λ·S': r3(a),
    ρ: r3(rho),
    'W̄q (s)': r3(ctx.controller.queueWaitMean),
  };
  const formula = `W = clamp(⌈a + ${ctx.beta}·√a⌉, 1, ${ctx.maxWorkers}) = ⌈${r3(a)} + ${ctx.beta}·${r3(Math.sqrt(a))}⌉ (Little's law + square-root staffing)`;
  if (
    bottleneck === 'cpu' ||
    bottleneck === 'apiserver' ||
    bottleneck === 'memory' ||
    bottleneck === 'leak'
  ) {
    return unchanged(
      knob,
      current,
      `not raised: the bottleneck is ${bottleneck}, more workers would not help`,
      evidence,
    );
  }
  if (bottleneck === 'client-qps' && ctx.workHidden) {
    return unchanged(
      knob,
      current,
      'the work per reconcile is hidden behind the QPS limit: lift QPS, re-run, tune again',
      evidence,
    );
  }
  // while the client is throttled the work estimate carries the limiter's noise: only an unmistakable
  // shortage (the work alone needs twice the workers) is fixed in the same step as QPS
  if (bottleneck === 'client-qps' && rho <= 2) {
    return unchanged(
      knob,
      current,
      `the QPS limit binds first; after lifting it, workers would run at ρ ${r3(rho)}: re-run and tune again`,
      evidence,
    );
  }
  if (rho > 0.7 && target > current) {
    return {
      knob,
      current,
      recommended: target,
      changed: true,
      why: `queueing dominates (ρ ${r3(rho)} on work time alone)`,
      formula,
      evidence,
    };
  }
  if (rho < 0.2 && target < current && bottleneck !== 'client-qps') {
    return {
      knob,
      current,
      recommended: target,
      changed: true,
      why: `workers mostly idle (ρ ${r3(rho)})`,
      formula,
      evidence,
    };
  }
  return unchanged(
    knob,
    current,
    bottleneck === 'client-qps'
      ? 'enough workers once the QPS limit is lifted'
      : `ρ ${r3(rho)} is in the comfortable band 0.2–0.7`,
    evidence,
  );
}

export function qpsRule(ctx: RuleContext, workers: number, bottleneck: Bottleneck): Recommendation[] {
  const r = ctx.process.restRequestsPerReconcile ?? 0;
  const { qps, burst } = ctx.settings;
  const evidence = {
    'λ (reconciles/s)': r3(ctx.lambda),
    'R (requests/reconcile)': r3(r),
    'REST/s measured': r3(ctx.process.restRequestsPerSecond),
    '429/s': r3(ctx.process.rest429PerSecond),
  };
  if (r === 0)
    return [
      unchanged('rateLimit.qps', qps > 0 ? qps : null, 'no REST requests measured'),
      unchanged('rateLimit.burst', burst || null, 'no REST requests measured'),
    ];
  const newQps = Math.ceil(1.5 * ctx.lambda * r);
  const newBurst = Math.max(Math.ceil(workers * r), 2 * newQps);
  if (bottleneck === 'apiserver') {
    return [
      unchanged(
        'rateLimit.qps',
        qps > 0 ? qps : null,
        'not raised: the API server is saturated, a higher QPS would only queue there',
        evidence,
      ),
      unchanged('rateLimit.burst', burst || null, 'not raised: the API server is saturated', evidence),
    ];
  }
  if (qps <= 0) {
    return [
      unchanged(
        'rateLimit.qps',
        null,
        'no client-side limit and no 429s: leave it unlimited (controller-runtime ≥ 0.21 default)',
        evidence,
      ),
      unchanged('rateLimit.burst', null, 'no client-side limit', evidence),
    ];
  }
  const needed = qps <= 0 || bottleneck === 'client-qps' || newQps > qps;
  if (!needed) {
    return [
      unchanged('rateLimit.qps', qps, `QPS ${qps} covers 1.5·λ·R = ${newQps}`, evidence),
      unchanged('rateLimit.burst', burst, 'covers W·R', evidence),
    ];
  }
  return [
    {
      knob: 'rateLimit.qps',
      current: qps > 0 ? qps : null,
      recommended: newQps,
      changed: true,
      why: 'the client must not throttle at 1.5× the measured rate (the limit is per object type)',
      formula: `QPS = ⌈1.5·λ·R⌉ = ⌈1.5·${r3(ctx.lambda)}·${r3(r)}⌉`,
      evidence,
    },
    {
      knob: 'rateLimit.burst',
      current: burst || null,
      recommended: newBurst,
      changed: newBurst !== burst,
      why: 'every worker can make its calls at once, and a second of QPS',
      formula: `burst = max(⌈W·R⌉, 2·QPS) = max(⌈${workers}·${r3(r)}⌉, ${2 * newQps})`,
      evidence,
    },
  ];
}

export function requeueRule(ctx: RuleContext, workers: number): Recommendation {
  const knob = 'reconciliation.requeueDelay';
  const current = ctx.current?.reconciliation?.requeueDelay ?? null;
  const share = ctx.controller.requeueShare;
  if (share < 0.5)
    return unchanged(
      knob,
      current,
      `not polling-dominated (requeues ${Math.round(share * 100)}% of reconciles)`,
      { 'requeue share': r3(share) },
    );
  const seconds = Math.ceil((ctx.objects * ctx.workSeconds) / (0.3 * Math.max(1, workers)));
  return {
    knob,
    current,
    recommended: `${seconds}s`,
    changed: `${seconds}s` !== current,
    why: `polling dominates (${Math.round(share * 100)}% of reconciles are requeues): polling may use at most 30% of the workers`,
    formula: `D ≥ N·S/(f·W) = ${ctx.objects}·${r3(ctx.workSeconds)}/(0.3·${workers})`,
    evidence: { 'requeue share': r3(share), N: ctx.objects },
  };
}

export function timeoutRule(ctx: RuleContext): Recommendation {
  const knob = 'reconciliation.timeout';
  const current = ctx.current?.reconciliation?.timeout ?? null;
  const p95 = ctx.controller.serviceP95;
  if (p95 === null || !Number.isFinite(p95) || p95 <= 0)
    return unchanged(knob, current, 'no reconcile-time distribution measured');
  const needed = Math.max(5, Math.ceil(5 * p95));
  const currentMs = ctx.settings.timeoutMs;
  if (currentMs === 0 || currentMs >= needed * 1000)
    return unchanged(
      knob,
      current,
      currentMs === 0 ? 'no timeout set' : `covers 5× the p95 reconcile time (${r3(p95)}s)`,
      { 'S p95 (s)': r3(p95) },
    );
  return {
    knob,
    current,
    recommended: `${needed}s`,
    changed: true,
    why: 'below 5× the p95 reconcile time: healthy reconciles would be cut off',
    formula: `timeout = ⌈5·p95⌉ = ⌈5·${r3(p95)}⌉ s`,
    evidence: { 'S p95 (s)': r3(p95) },
  };
}

export function cachingRule(ctx: RuleContext): Recommendation {
  const knob = 'caching.maxSize';
  const current = ctx.current?.caching?.maxSize ?? null;
  const ratio = ctx.vitistack?.cacheHitRatio ?? null;
  if (ratio === null)
    return unchanged(knob, current, 'no cache metrics (vitistack_cache_hits_total) at the target');
  if (ratio >= 0.8 || current === null)
    return unchanged(knob, current, `hit ratio ${Math.round(ratio * 100)}%`, { 'hit ratio': r3(ratio) });
  return {
    knob,
    current,
    recommended: current * 2,
    changed: true,
    why: `hit ratio only ${Math.round(ratio * 100)}%`,
    formula: 'maxSize × 2 (re-measure)',
    evidence: { 'hit ratio': r3(ratio) },
  };
}

/** Headroom over the modelled need: a burst of allocation between two GCs, a scrape that missed the peak. */
const MEMORY_HEADROOM = 1.15;

export function resourceRules(ctx: RuleContext): Recommendation[] {
  const p = ctx.process;
  const cur = ctx.current?.resourceOptimization;
  const sizing = ctx.sizing;
  const out: Recommendation[] = [];
  const cpu = sizing?.cpu;
  if (cpu) {
    const cores = Math.max(cpu.needCores, p.cpuP90Cores ?? 0);
    const milli = Math.max(10, Math.ceil((1.15 * cores * 1000) / 10) * 10);
    out.push({
      knob: 'resourceOptimization.cpu.request',
      current: cur?.cpu?.request ?? null,
      recommended: `${milli}m`,
      changed: `${milli}m` !== cur?.cpu?.request,
      why: `1.15 × the CPU modelled at ${r3(sizing.peakRate)} objects/s (and never below the run's p90); no CPU limit`,
      formula: `1.15 · max(${r3(cpu.baseCores)} + ${r3(cpu.coresPerObjectPerSecond)}·${r3(sizing.peakRate)}, p90 ${r3(p.cpuP90Cores ?? 0)}) cores`,
      evidence: {
        'cpu base (cores)': r3(cpu.baseCores),
        'cores per object/s': r3(cpu.coresPerObjectPerSecond),
        'peak rate (objects/s)': r3(sizing.peakRate),
        scrapes: cpu.points,
      },
    });
  } else if (p.cpuP90Cores === null) {
    out.push(
      unchanged('resourceOptimization.cpu.request', cur?.cpu?.request ?? null, 'no process CPU metrics'),
    );
  } else {
    const milli = Math.max(10, Math.ceil((1.15 * p.cpuP90Cores * 1000) / 10) * 10);
    out.push({
      knob: 'resourceOptimization.cpu.request',
      current: cur?.cpu?.request ?? null,
      recommended: `${milli}m`,
      changed: `${milli}m` !== cur?.cpu?.request,
      why: '1.15 × p90 of CPU used (VPA/KRR practice; too few scrapes to fit CPU against rate); no CPU limit',
      formula: `1.15 · ${r3(p.cpuP90Cores)} cores`,
      evidence: { 'cpu p90 (cores)': r3(p.cpuP90Cores) },
    });
  }
  const memory = sizing?.memory;
  if (!sizing || !memory) {
    out.push(...memoryFromRss(ctx));
    return out;
  }
  const evidence = {
    N: sizing.objects,
    'N from': sizing.objectsSource,
    'objects the run held': sizing.objectsSeen,
    'heap base': mib(memory.heapBaseBytes),
    'heap per object (B)': memory.heapPerObjectBytes,
    'non-heap overhead': mib(memory.overheadBytes),
    GOGC: memory.gogc,
    'modelled need': mib(memory.needBytes),
    extrapolated: sizing.extrapolated,
  };
  const need = `${mib(memory.overheadBytes)} + (${mib(memory.heapBaseBytes)} + ${memory.heapPerObjectBytes} B·${sizing.objects})·(1 + ${memory.gogc}/100)`;
  const request = mib(memory.needBytes);
  const limit = mib(MEMORY_HEADROOM * memory.needBytes);
  const at = `at ${sizing.objects} cached objects (${sizing.objectsSource === 'flag' ? '--objects' : sizing.objectsSource === 'cluster' ? "the cluster's live count" : "the run's count"})${sizing.extrapolated ? ', extrapolated' : ''}`;
  out.push({
    knob: 'resourceOptimization.memory.request',
    current: cur?.memory?.request ?? null,
    recommended: request,
    changed: request !== cur?.memory?.request,
    why: `the modelled need ${at}`,
    formula: need,
    evidence,
  });
  out.push({
    knob: 'resourceOptimization.memory.limit',
    current: cur?.memory?.limit ?? null,
    recommended: limit,
    changed: limit !== cur?.memory?.limit,
    why: `${MEMORY_HEADROOM} × the modelled need ${at}`,
    formula: `${MEMORY_HEADROOM} · (${need})`,
    evidence,
  });
  return out;
}

/**
 * A run without a per-scrape series (recorded before it was kept) has no growth to model: its own RSS
 * sizes it for its own object count, and nothing is said for a count it did not see.
 */
function memoryFromRss(ctx: RuleContext): Recommendation[] {
  const p = ctx.process;
  const cur = ctx.current?.resourceOptimization?.memory;
  if (p.rssP95Bytes === null || p.rssMaxBytes === null)
    return [
      unchanged('resourceOptimization.memory.request', cur?.request ?? null, 'no RSS metrics'),
      unchanged('resourceOptimization.memory.limit', cur?.limit ?? null, 'no RSS metrics'),
    ];
  if (ctx.objectsToSize !== undefined && ctx.objectsToSize > 1.1 * ctx.objects) {
    const why = `no per-scrape memory series to model ${ctx.objectsToSize} objects from (the run held ${ctx.objects}): re-record it with this vitictl`;
    return [
      unchanged('resourceOptimization.memory.request', cur?.request ?? null, why),
      unchanged('resourceOptimization.memory.limit', cur?.limit ?? null, why),
    ];
  }
  const request = mib(Math.max(64 * 2 ** 20, 1.15 * p.rssP95Bytes));
  const limit = mib(Math.max(64 * 2 ** 20, 1.15 * p.rssMaxBytes));
  const valid = `valid for the ${ctx.objects} objects the run held`;
  return [
    {
      knob: 'resourceOptimization.memory.request',
      current: cur?.request ?? null,
      recommended: request,
      changed: request !== cur?.request,
      why: `1.15 × p95 RSS (no per-scrape series to model growth: ${valid})`,
      formula: `1.15 · ${mib(p.rssP95Bytes)}`,
      evidence: { 'rss p95': mib(p.rssP95Bytes) },
    },
    {
      knob: 'resourceOptimization.memory.limit',
      current: cur?.limit ?? null,
      recommended: limit,
      changed: limit !== cur?.limit,
      why: `1.15 × max RSS (${valid})`,
      formula: `1.15 · ${mib(p.rssMaxBytes)}`,
      evidence: { 'rss max': mib(p.rssMaxBytes) },
    },
  ];
}

export function gcRules(ctx: RuleContext, memoryLimit: string | null): Recommendation[] {
  const p = ctx.process;
  const out: Recommendation[] = [];
  const limitBytes = parseQuantityBytes(memoryLimit ?? undefined);
  if (limitBytes === undefined)
    out.push(
      unchanged('gc.gomemlimit', ctx.current?.gc?.gomemlimit ?? null, 'no memory limit to derive it from'),
    );
  else {
    const value = `${Math.floor((0.9 * limitBytes) / 2 ** 20)}MiB`;
    out.push({
      knob: 'gc.gomemlimit',
      current: ctx.current?.gc?.gomemlimit ?? null,
      recommended: value,
      changed: value !== ctx.current?.gc?.gomemlimit,
      why: 'the GC works harder before the container limit is hit, instead of an OOM kill',
      formula: `0.9 · ${memoryLimit}`,
      evidence: { 'memory limit': memoryLimit },
    });
  }
  const gogc = ctx.current?.gc?.gogc ?? p.gogc ?? 100;
  const share = p.gcCpuShare;
  if (share === null || share <= 0.1) {
    out.push(
      unchanged(
        'gc.gogc',
        gogc,
        share === null ? 'no GC CPU metrics' : `GC uses ${Math.round(share * 100)}% of CPU (≤ 10%)`,
        { 'gc cpu share': share === null ? null : r3(share) },
      ),
    );
  } else {
    const memory = ctx.sizing?.memory;
    const heap = memory
      ? memory.heapBaseBytes + memory.heapPerObjectBytes * (ctx.sizing?.objects ?? 0)
      : (p.heapLiveBytes ?? 0);
    let next = Math.min(400, gogc * 2);
    if (limitBytes && heap > 0) while (next > gogc && heap * (1 + next / 100) > 0.9 * limitBytes) next -= 50;
    out.push(
      next > gogc
        ? {
            knob: 'gc.gogc',
            current: gogc,
            recommended: next,
            changed: true,
            why: `GC uses ${Math.round(share * 100)}% of CPU; the heap goal still fits the memory limit`,
            formula: `heap ${mib(heap)} · (1 + GOGC/100) ≤ 0.9 · limit, GOGC ≤ 400`,
            evidence: { 'gc cpu share': r3(share), heap: mib(heap) },
          }
        : unchanged('gc.gogc', gogc, 'GC is busy but a higher GOGC would not fit the memory limit', {
            'gc cpu share': r3(share),
          }),
    );
  }
  return out;
}
