import type { ApiServerSection } from '../report/sections/apiserver.js';
import type { LatencyCurve } from '../report/sections/tune.js';
import { maxOf, minOf } from '../util/extremes.js';
import { fitLine } from './fit.js';

/**
 * The API server as a shared resource, from the run's apiserver section: how its latency grows with
 * the request rate it is offered (fitted on this run's own scrape intervals), and whether it was
 * saturated, with the figures that say so.
 */

const r1 = (value: number) => Math.round(value * 10) / 10;

/** The share of its cores an API server may use on average before it counts as CPU-bound. */
export const CPU_BOUND_SHARE = 0.7;

/**
 * A server that used half its cores or more and whose goroutines still waited this long (p99) for a
 * core is short of CPU below the 70%: on a host shared with etcd, controllers and the load, the others
 * take the rest. Measured on the lab: p99 0.9 ms when the server had room (quiet host), 4.6–7.8 ms on a
 * busy host while it used 0.1–0.4 cores (not short: the share rule keeps that out), 10.4 ms at 1.2 of
 * 2 cores when it was the limit.
 */
export const SCHED_WAIT_BOUND_MS = 5;
export const SCHED_WAIT_MIN_SHARE = 0.5;

/** The verbs of a reconcile's calls (creates are the load's own; LIST and WATCH are the informer's). */
const RECONCILE_VERBS = new Set(['GET', 'PUT', 'PATCH', 'DELETE']);

/**
 * The latency (ms) of the controller's own calls as the API server saw them: its requests to the
 * scenario's resources, their p50s weighted by count (the section keeps medians, not means).
 */
export function controllerCallLatencyMs(
  section: ApiServerSection,
  plurals: readonly string[],
): number | null {
  const rows = section.byVerbResource.filter(
    (row) =>
      RECONCILE_VERBS.has(row.verb) &&
      row.p50Ms !== null &&
      plurals.some((plural) => row.resource === plural || row.resource.startsWith(`${plural}.`)),
  );
  const requests = rows.reduce((sum, row) => sum + row.requests, 0);
  return requests > 0 ? rows.reduce((sum, row) => sum + row.requests * (row.p50Ms ?? 0), 0) / requests : null;
}

/** The scrape intervals as (requests/s, mutating p99 ms), those that saw requests and a p99. */
function rateLatencyPoints(section: ApiServerSection): Array<[number, number]> {
  return section.series
    .filter((point) => point.requestsPerSecond > 0 && point.mutatingP99Ms !== null)
    .map((point): [number, number] => [point.requestsPerSecond, point.mutatingP99Ms ?? 0]);
}

/**
 * Mean call latency against the offered rate: the shape (intercept and slope) of mutating p99 over the
 * scrape intervals' request rates, scaled so that at the run's mean rate it gives the controller's
 * measured call latency. A slope the data does not support (negative) is taken as flat.
 */
export function fitLatencyCurve(section: ApiServerSection, callLatencyMs: number): LatencyCurve | null {
  const points = rateLatencyPoints(section);
  const line = fitLine(points);
  // too few intervals for a line (a short run): the calls still take the time they were measured at
  if (!line)
    return callLatencyMs > 0
      ? { baseMs: callLatencyMs, msPerRps: 0, points: points.length, correlation: null }
      : null;
  const { slope, intercept, correlation } = line;
  const meanRate = section.windowSeconds > 0 ? section.requests / section.windowSeconds : 0;
  const rising = Math.max(0, slope);
  const base = rising > 0 ? intercept : points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const atMean = base + rising * meanRate;
  if (!(atMean > 0)) return { baseMs: callLatencyMs, msPerRps: 0, points: points.length, correlation };
  const scale = callLatencyMs / atMean;
  return {
    baseMs: Math.max(0, base * scale),
    msPerRps: rising * scale,
    points: points.length,
    correlation: correlation === null ? null : Math.round(correlation * 1000) / 1000,
  };
}

export interface ApiServerPressure {
  saturated: boolean;
  /** one line per sign of saturation, with its figures */
  signs: string[];
  /**
   * every sign is slow requests alone (a missed latency SLO, slow etcd commits): nothing says the
   * load caused them (no APF queueing or rejection, no 429s, no CPU bound, no latency rising with
   * the rate), as when the disk under etcd stalls
   */
  latencyOnly: boolean;
  evidence: Record<string, number | string | null>;
}

/** Below this mutating p99 at the highest rate seen, latency that doubled is still no sign of saturation. */
const GROWTH_FLOOR_MS = 250;

/**
 * The latency at the highest rate seen over the one at the lowest, by the fitted line; 1 when the
 * line does not fit (r < 0.6) or ends below GROWTH_FLOOR_MS (a quarter of the mutating SLO): 50 → 150 ms
 * as a quiet server goes from 15 to 50 requests/s is etcd batching its writes, not a server at its limit.
 */
function latencyGrowth(section: ApiServerSection): { growth: number; minRps: number; maxRps: number } | null {
  const points = rateLatencyPoints(section);
  const line = fitLine(points);
  if (!line) return null;
  const { slope, intercept, correlation } = line;
  const rates = points.map(([x]) => x);
  const minRps = minOf(rates);
  const maxRps = maxOf(rates);
  const low = intercept + slope * minRps;
  const high = intercept + slope * maxRps;
  if (correlation === null || correlation < 0.6 || !(low > 0) || high < GROWTH_FLOOR_MS)
    return { growth: 1, minRps, maxRps };
  return { growth: high / low, minRps, maxRps };
}

/**
 * Saturated when API Priority and Fairness rejected or queued requests, when mutating latency rose with
 * the offered rate (× 2 or more across the rates seen), when the server used 70% or more of its
 * GOMAXPROCS cores on average (or half of them while its goroutines waited for a core), when the
 * controller's own client saw 429s, when a latency SLO failed, or when etcd commits were slow (the last
 * two alone: `latencyOnly`).
 */
export function apiserverPressure(
  section: ApiServerSection | undefined,
  controller429PerSecond: number,
): ApiServerPressure {
  const signs: string[] = [];
  if (controller429PerSecond > 0)
    signs.push(`the controller's client got ${r1(controller429PerSecond)} 429/s`);
  if (!section) {
    return {
      saturated: signs.length > 0,
      signs,
      latencyOnly: false,
      evidence: { '429/s (controller)': r1(controller429PerSecond) },
    };
  }
  const rejected = section.flowControl.rejected ?? 0;
  if (rejected > 0)
    signs.push(
      `API Priority and Fairness rejected ${rejected} requests (${section.flowControl.rejectedBy.map((row) => `${row.priorityLevel}: ${row.requests} ${row.reason}`).join(', ')})`,
    );
  const queued = section.flowControl.waitP99Ms.filter((row) => (row.p99Ms ?? 0) >= 100);
  if (queued.length > 0)
    signs.push(
      `requests queued in API Priority and Fairness (${queued.map((row) => `${row.priorityLevel} wait p99 ${Math.round(row.p99Ms ?? 0)}ms`).join(', ')})`,
    );
  const mutating = section.sli.checks.find((check) => check.name === 'mutating');
  const growth = latencyGrowth(section);
  if (growth && growth.growth >= 2)
    signs.push(
      `mutating latency rises with the offered rate: ×${r1(growth.growth)} from ${Math.round(growth.minRps)} to ${Math.round(growth.maxRps)} requests/s`,
    );
  // a server short of CPU keeps its SLOs while every request waits a little longer for a core
  const { cores, gomaxprocs, schedWaitP99Ms } = section.cpu;
  const share = cores !== null && gomaxprocs ? cores / gomaxprocs : null;
  if (share !== null && share >= CPU_BOUND_SHARE)
    signs.push(
      `the API server is CPU-bound: it used ${r1(cores ?? 0)} of the ${gomaxprocs} cores it may use (GOMAXPROCS)`,
    );
  else if (share !== null && share >= SCHED_WAIT_MIN_SHARE && (schedWaitP99Ms ?? 0) >= SCHED_WAIT_BOUND_MS)
    signs.push(
      `the API server waited for CPU: its goroutines waited p99 ${r1(schedWaitP99Ms ?? 0)}ms for a core while it used ${r1(cores ?? 0)} of its ${gomaxprocs} (what shares its host takes the rest)`,
    );
  const loadSigns = signs.length;
  // one run at one rate cannot show the curve bend, but a missed latency SLO is the server's own verdict
  for (const check of section.sli.checks.filter((c) => c.verdict === 'fail'))
    signs.push(`${check.name} p99 ${Math.round(check.p99Ms ?? 0)}ms misses the ${check.thresholdMs}ms SLO`);
  const commit = section.etcd.commitP99Ms;
  if (commit !== null && commit >= 100) signs.push(`etcd commits slowly (p99 ${Math.round(commit)}ms)`);
  return {
    saturated: signs.length > 0,
    signs,
    latencyOnly: signs.length > 0 && loadSigns === 0,
    evidence: {
      'requests/s': r1(section.windowSeconds > 0 ? section.requests / section.windowSeconds : 0),
      'mutating p99 (ms)':
        mutating?.p99Ms === null || mutating === undefined ? null : Math.round(mutating.p99Ms),
      'latency ×(max rate ÷ min rate)': growth ? r1(growth.growth) : null,
      'APF rejected': section.flowControl.rejected,
      'mutating inflight max': section.inflight.mutatingMax,
      'etcd commit p99 (ms)': commit === null ? null : Math.round(commit),
      'apiserver cores used': cores === null ? null : r1(cores),
      'apiserver GOMAXPROCS': gomaxprocs,
      'apiserver wait for a core p99 (ms)': schedWaitP99Ms === null ? null : r1(schedWaitP99Ms),
      '429/s (controller)': r1(controller429PerSecond),
    },
  };
}

export interface WebhookPressure {
  /** the webhook is the largest part of the way to ready: the bottleneck */
  bottleneck: boolean;
  name: string;
  type: string;
  meanMs: number;
  p99Ms: number | null;
  perSecond: number;
  /** its calls per object the run created: the create, and the controller's writes its rules cover */
  callsPerObject: number | null;
  /** the mean mutating request, webhooks included, ms */
  writeMeanMs: number | null;
  /** its mean call ÷ the mean mutating request */
  shareOfWrite: number | null;
  /** its calls per object × its mean call ÷ the mean time to ready: how much of an object's way it waits */
  shareOfReady: number | null;
}

/** A call this short is no one's bottleneck, whatever its share. */
const WEBHOOK_FLOOR_MS = 10;

/**
 * The admission webhook the API server waited on longest. It is the bottleneck when it takes most of
 * each write it is called on (its mean call ≥ half the mean mutating request) and a large part of the
 * way to ready: an object waits for it on its create and on every controller write its rules cover,
 * and those waits add up to a fifth or more of the mean time to ready.
 */
export function webhookPressure(
  section: ApiServerSection | undefined,
  timeToReadyMeanMs: number | undefined,
  objects: number | undefined,
): WebhookPressure | null {
  const slowest = section?.admissionWebhooks[0];
  if (!section || !slowest) return null;
  const callsPerObject = objects ? slowest.requests / objects : null;
  const shareOfWrite = section.mutatingMeanMs ? slowest.meanMs / section.mutatingMeanMs : null;
  const shareOfReady =
    timeToReadyMeanMs && callsPerObject !== null
      ? (callsPerObject * slowest.meanMs) / timeToReadyMeanMs
      : null;
  return {
    bottleneck:
      slowest.meanMs >= WEBHOOK_FLOOR_MS && (shareOfWrite ?? 0) >= 0.5 && (shareOfReady ?? 0) >= 0.2,
    name: slowest.name,
    type: slowest.type,
    meanMs: slowest.meanMs,
    p99Ms: slowest.p99Ms,
    perSecond: slowest.perSecond,
    callsPerObject,
    writeMeanMs: section.mutatingMeanMs,
    shareOfWrite,
    shareOfReady,
  };
}
