// The one bottleneck along the path create → API server → controller → ready, with its numbers.
import type { Diagnosis } from '../report/sections/tune.js';
import type { ApiServerPressure } from './apiserver-load.js';
import { parseCpuCores, parseQuantityBytes } from './performance-config.js';
import { mib, ms, type RuleContext, r3 } from './rule-context.js';

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
  // a slow webhook first: every create (and write it covers) waits for it, which looks like a slow API server
  const webhook = ctx.webhook;
  if (webhook?.bottleneck) {
    const pct = (share: number | null) => `${Math.round((share ?? 0) * 100)}%`;
    return {
      bottleneck: 'webhook',
      message: `the admission webhook ${webhook.name} (${webhook.type}) is the bottleneck: the API server waits ${ms(webhook.meanMs / 1000)} on average for each call (p99 ${webhook.p99Ms === null ? '-' : ms(webhook.p99Ms / 1000)}; a write takes ${webhook.writeMeanMs === null ? '-' : ms(webhook.writeMeanMs / 1000)} on average, webhooks included); each object waits for it ${Math.round((webhook.callsPerObject ?? 0) * 10) / 10} times, ${pct(webhook.shareOfReady)} of the mean time to ready. More workers or QPS would only wait for it too`,
      evidence: {
        webhook: webhook.name,
        'webhook mean (ms)': Math.round(webhook.meanMs),
        'webhook p99 (ms)': webhook.p99Ms === null ? null : Math.round(webhook.p99Ms),
        'webhook calls/s': r3(webhook.perSecond),
        'webhook calls per object': r3(webhook.callsPerObject ?? 0),
        'share of a write': r3(webhook.shareOfWrite ?? 0),
        'share of time to ready': r3(webhook.shareOfReady ?? 0),
        ...controllerEvidence,
      },
      instead: [
        `make the webhook answer faster: vitictl webhook bench --webhook ${webhook.name} measures it alone, at a rate`,
        'narrow its rules to the requests it must see (operations, objectSelector, namespaceSelector; not the status subresource)',
        'run more replicas of it, close to the API server; check its timeoutSeconds and failurePolicy',
      ],
    };
  }
  // the REST rate sitting at the limit is evidence on its own (the work may be hidden behind it)
  const atLimit = ctx.settings.qps > 0 && ctx.process.restRequestsPerSecond >= 0.9 * ctx.settings.qps;
  // slow requests that nothing ties to the load (an etcd disk stall) do not outrank a limiter that
  // holds each reconcile most of its time: that is where the objects wait
  const limiterFirst = ctx.apiserver.latencyOnly && ctx.settings.qps > 0 && waitShare > 0.5 && atLimit;
  // the API server first: raising concurrency or QPS into a saturated server only lengthens its queues
  if (ctx.apiserver.saturated && !limiterFirst) {
    return {
      bottleneck: 'apiserver',
      message: `the API server is saturated: ${ctx.apiserver.signs.join('; ')}. More workers or a higher QPS would add load where it queues`,
      evidence: { ...ctx.apiserver.evidence, ...controllerEvidence },
      instead: APISERVER_INSTEAD,
    };
  }
  if (ctx.settings.qps > 0 && (waitShare > 0.2 || atLimit)) {
    const alsoSlow = limiterFirst
      ? ` The API server was also slow (${ctx.apiserver.signs.join('; ')}) at ${ctx.apiserver.evidence['requests/s']} requests/s with no sign of load (no queueing, no 429s, CPU to spare): check etcd's disk, and verify a higher QPS before keeping it (vitictl tune verify).`
      : '';
    return {
      bottleneck: 'client-qps',
      message:
        `the client-side rate limit (QPS ${ctx.settings.qps}, burst ${ctx.settings.burst}) is the bottleneck: ` +
        `${waitShare > 0.2 ? `${Math.round(waitShare * 100)}% of each ${ms(c.serviceMean)} reconcile is spent waiting for it` : 'the client runs at its limit'} ` +
        `(REST ${r3(ctx.process.restRequestsPerSecond)}/s at ${r3(ctx.process.restRequestsPerReconcile ?? 0)} per reconcile); ` +
        `more workers would only wait longer. The limit is per object type (one REST client per GVK).${alsoSlow}`,
      evidence: {
        ...controllerEvidence,
        'limiter wait share': r3(Math.max(0, waitShare)),
        ...(limiterFirst ? ctx.apiserver.evidence : {}),
      },
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

/**
 * The controller's own bottleneck as diagnosed, when the model found that even the least raise of
 * workers or QPS would take the API server past its CPU bound: the server is where more throughput
 * has to come from.
 */
export function cpuHeldDiagnosis(diagnosis: Diagnosis, why: string, pressure: ApiServerPressure): Diagnosis {
  return {
    bottleneck: 'apiserver',
    message: `the API server has no CPU for more load: ${why}. The controller shows ${diagnosis.message}, but more workers or a higher QPS would only add requests the server has no cores for`,
    evidence: { ...diagnosis.evidence, ...pressure.evidence },
    instead: [
      "give the API server more CPU (its GOMAXPROCS and its container's limit), or move what shares its cores (etcd, other control-plane work)",
      ...APISERVER_INSTEAD,
    ],
  };
}
