/**
 * A discrete-event model of a controller draining a burst, run as a seeded Monte-Carlo: N objects
 * arrive evenly at λ/s and wait in one FIFO queue for one of W workers; an object needs k reconciles
 * (it goes back to the queue after each but the last). A reconcile makes R API calls, each through a
 * client-side token bucket (QPS, burst; reservations in time order, like client-go's limiter) and then
 * the API server, whose latency grows with the request rate it is offered (the controller's calls in
 * the last second plus the load's own); its own work is lognormal (σ from the measured reconcile
 * histogram), split evenly after the calls. Time-to-ready = completion − arrival + a fixed offset.
 */

import type { LatencyCurve, ModelOutput } from '../report/sections/tune.js';
import { mulberry32 } from '../scenario/rng.js';
import { maxOf } from '../util/extremes.js';

export interface ModelInput {
  objects: number;
  arrivalRate: number;
  workers: number;
  reconcilesPerObject: number;
  /** mean of the controller's own work per reconcile, s (no API latency, no limiter wait) */
  workSeconds: number;
  /** σ of the lognormal work (0: constant) */
  workSigma: number;
  callsPerReconcile: number;
  /** ≤ 0: no client-side limit */
  qps: number;
  burst: number;
  /** mean API call latency against the offered rate; null: calls take no time */
  apiserver: Pick<LatencyCurve, 'baseMs' | 'msPerRps'> | null;
  /** requests/s the load itself offers the API server while objects arrive */
  backgroundRps: number;
  /** added to every time-to-ready, s */
  offsetSeconds: number;
  replications: number;
  seed: number;
}

class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size() {
    return this.items.length;
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(items[l]!, items[m]!)) m = l;
        if (r < items.length && this.less(items[r]!, items[m]!)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m]!, items[i]!];
        i = m;
      }
    }
    return top;
  }
}

function standardNormal(random: () => number): number {
  const u = Math.max(Number.MIN_VALUE, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * σ of a lognormal with this mean and p95: ln(p95/mean) = 1.645σ − σ²/2, the smaller root; 0 when p95
 * does not exceed the mean, 1.645 (the largest the pair allows) when it is further out than any σ reaches.
 */
export function lognormalSigma(mean: number, p95: number | null): number {
  if (p95 === null || !(mean > 0) || !(p95 > mean)) return 0;
  const z = 1.645;
  const disc = z * z - 2 * Math.log(p95 / mean);
  return disc <= 0 ? z : z - Math.sqrt(disc);
}

type Event = { t: number; seq: number; kind: 'arrive' | 'call' | 'finish'; job: number; k: number };

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Replication {
  ttr: Float64Array;
  reconcileTime: number;
  reconciles: number;
  end: number;
  peakRps: number;
}

function replicate(input: ModelInput, random: () => number): Replication {
  const { objects: n, callsPerReconcile: r } = input;
  const k = Math.max(1, Math.round(input.reconcilesPerObject));
  const limited = input.qps > 0 && r > 0;
  const sigma = input.workSigma;
  const mu = Math.log(Math.max(1e-9, input.workSeconds)) - (sigma * sigma) / 2;
  const drawWork = () => (input.workSeconds > 0 ? Math.exp(mu + sigma * standardNormal(random)) : 0);
  const arrivalsEnd = n / input.arrivalRate;
  const events = new Heap<Event>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  let seq = 0;
  const arrival = new Float64Array(n);
  const ready = new Float64Array(n);
  const remaining = new Int32Array(n).fill(k);
  const work = new Float64Array(n);
  const started = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    arrival[i] = i / input.arrivalRate;
    events.push({ t: arrival[i]!, seq: seq++, kind: 'arrive', job: i, k: 0 });
  }
  let free = Math.max(1, input.workers);
  const queue: number[] = [];
  let head = 0;
  let tokens = Math.max(1, input.burst);
  let last = 0;
  // the controller's calls in the last second, for the rate the API server is offered
  const recentCalls: number[] = [];
  let recentHead = 0;
  const perSecond = new Map<number, number>();
  let reconcileTime = 0;
  let reconciles = 0;
  const latencyAt = (t: number) => {
    while (recentHead < recentCalls.length && recentCalls[recentHead]! <= t - 1) recentHead++;
    const rate = recentCalls.length - recentHead + (t < arrivalsEnd ? input.backgroundRps : 0);
    const second = Math.floor(t);
    perSecond.set(second, Math.max(perSecond.get(second) ?? 0, rate));
    const curve = input.apiserver;
    return curve ? Math.max(0, curve.baseMs + curve.msPerRps * rate) / 1000 : 0;
  };
  const start = (job: number, t: number) => {
    free--;
    started[job] = t;
    work[job] = drawWork();
    if (r > 0) events.push({ t, seq: seq++, kind: 'call', job, k: 0 });
    else events.push({ t: t + work[job]!, seq: seq++, kind: 'finish', job, k: 0 });
  };
  while (events.size > 0) {
    const event = events.pop()!;
    if (event.kind === 'arrive') {
      queue.push(event.job);
      if (free > 0) start(queue[head++]!, event.t);
    } else if (event.kind === 'call') {
      let proceed = event.t;
      if (limited) {
        tokens = Math.min(Math.max(1, input.burst), tokens + (event.t - last) * input.qps);
        last = event.t;
        tokens -= 1;
        if (tokens < 0) proceed = event.t - tokens / input.qps;
      }
      recentCalls.push(proceed);
      const next = proceed + latencyAt(proceed) + work[event.job]! / r;
      if (event.k + 1 < r) events.push({ t: next, seq: seq++, kind: 'call', job: event.job, k: event.k + 1 });
      else events.push({ t: next, seq: seq++, kind: 'finish', job: event.job, k: 0 });
    } else {
      free++;
      reconcileTime += event.t - started[event.job]!;
      reconciles++;
      remaining[event.job]!--;
      if (remaining[event.job]! > 0) queue.push(event.job);
      else ready[event.job] = event.t;
      if (head < queue.length) start(queue[head++]!, event.t);
    }
  }
  const ttr = new Float64Array(n);
  let end = 0;
  for (let i = 0; i < n; i++) {
    ttr[i] = ready[i]! - arrival[i]! + input.offsetSeconds;
    end = Math.max(end, ready[i]!);
  }
  return { ttr, reconcileTime, reconciles, end, peakRps: Math.max(0, maxOf(perSecond.values())) };
}

/** Time-to-ready percentiles over `replications` seeded runs of the model (the same seed, the same answer). */
export function simulate(input: ModelInput): ModelOutput {
  const random = mulberry32(input.seed);
  const runs = Array.from({ length: Math.max(1, input.replications) }, () => replicate(input, random));
  const all = new Float64Array(runs.reduce((sum, run) => sum + run.ttr.length, 0));
  let offset = 0;
  for (const run of runs) {
    all.set(run.ttr, offset);
    offset += run.ttr.length;
  }
  all.sort();
  const reconciles = runs.reduce((sum, run) => sum + run.reconciles, 0);
  const reconcileTime = runs.reduce((sum, run) => sum + run.reconcileTime, 0);
  const throughput =
    runs.reduce((sum, run) => sum + (run.end > 0 ? input.objects / run.end : 0), 0) / runs.length;
  return {
    p50Ms: quantile(all, 0.5) * 1000,
    p90Ms: quantile(all, 0.9) * 1000,
    p99Ms: quantile(all, 0.99) * 1000,
    maxMs: (all[all.length - 1] ?? 0) * 1000,
    reconcileMeanMs: reconciles > 0 ? (reconcileTime / reconciles) * 1000 : 0,
    throughput,
    apiserverPeakRps: maxOf(runs.map((run) => run.peakRps)),
  };
}

/**
 * The work S that, with the measured settings, reproduces the measured mean reconcile time S̄ (limiter
 * waits and API latency included): what of S̄ was waiting is not work and must not be carried over to
 * other settings. Bisection on a constant-work model; S̄ itself when nothing but work explains it.
 */
export function calibrateService(measuredMean: number, input: Omit<ModelInput, 'workSeconds'>): number {
  const at = (s: number) =>
    simulate({ ...input, workSeconds: s, workSigma: 0, replications: 1 }).reconcileMeanMs / 1000;
  if (at(measuredMean) <= measuredMean * 1.0001) return measuredMean;
  let low = 0;
  let high = measuredMean;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (at(mid) > measuredMean) high = mid;
    else low = mid;
  }
  return (low + high) / 2;
}

/** Past these the run is not the model's kind of system: better a loose fit, flagged, than a forced one. */
const MIN_WORK_SCALE = 0.5;
const MAX_WORK_SCALE = 4;

export interface Calibration {
  workScale: number;
  offsetSeconds: number;
  output: ModelOutput;
}

/**
 * The work scale and offset with which the model reproduces a measured run: the scale (1 when that
 * already comes within 5% of p99, else bisection in log space) matches the spread p99 − p50, which the offset
 * cannot move; the offset then matches p50.
 * The offset never goes below `minOffsetSeconds` (the create and watch time the run measured).
 */
export function calibrateToMeasured(
  input: ModelInput,
  measured: { p50Ms: number; p99Ms: number },
  minOffsetSeconds: number,
): Calibration {
  const at = (scale: number) =>
    simulate({ ...input, workSeconds: input.workSeconds * scale, offsetSeconds: 0 });
  const spread = (out: ModelOutput) => out.p99Ms - out.p50Ms;
  const target = measured.p99Ms - measured.p50Ms;
  const close = (out: ModelOutput) => Math.abs(spread(out) - target) <= 0.05 * measured.p99Ms;
  // the measured work first: scaled only when it cannot reproduce the run
  const error = (scale: number) => Math.abs(spread(at(scale)) - target);
  // how far a scale, with the offset that matches p50, misses p50 or p99 (the offset cannot be
  // negative: a scale whose p50 alone overshoots the run cannot be pulled back)
  const miss = (scale: number) => {
    const bare = at(scale);
    const shift = Math.max(minOffsetSeconds * 1000, measured.p50Ms - bare.p50Ms);
    return Math.max(
      Math.abs(bare.p50Ms + shift - measured.p50Ms) / measured.p50Ms,
      Math.abs(bare.p99Ms + shift - measured.p99Ms) / measured.p99Ms,
    );
  };
  let workScale = 1;
  if (!close(at(1))) {
    let low = Math.log(MIN_WORK_SCALE);
    let high = Math.log(MAX_WORK_SCALE);
    for (let i = 0; i < 20; i++) {
      const mid = (low + high) / 2;
      if (spread(at(Math.exp(mid))) > target) high = mid;
      else low = mid;
    }
    const fitted = Math.exp((low + high) / 2);
    // a spread the work hardly moves (a limiter sets the pace) is no reason to change the work, nor
    // is a spread bought with a p50 the run did not have
    if (error(fitted) < 0.5 * error(1) && miss(fitted) < miss(1)) workScale = fitted;
  }
  const bare = at(workScale);
  const offsetSeconds = Math.max(minOffsetSeconds, (measured.p50Ms - bare.p50Ms) / 1000);
  const shift = offsetSeconds * 1000;
  return {
    workScale,
    offsetSeconds,
    output: {
      ...bare,
      p50Ms: bare.p50Ms + shift,
      p90Ms: bare.p90Ms + shift,
      p99Ms: bare.p99Ms + shift,
      maxMs: bare.maxMs + shift,
    },
  };
}
