/**
 * A discrete-event model of a controller draining a burst: N objects arrive evenly at λ/s, wait in one
 * FIFO queue for one of W workers; a reconcile makes R API calls through a client-side token bucket
 * (QPS, burst; reservations in time order, like client-go's limiter) with the work time S split evenly
 * between them. Time-to-ready = completion − arrival. Deterministic; used to predict percentiles for
 * the current and the recommended settings, after calibrating S on the measured run.
 */

import type { ModelOutput } from '../report/sections/tune.js';

export interface ModelInput {
  objects: number;
  arrivalRate: number;
  workers: number;
  /** pure work per reconcile, s (API call latency included, rate-limiter waits not) */
  serviceSeconds: number;
  callsPerReconcile: number;
  /** ≤ 0: no client-side limit */
  qps: number;
  burst: number;
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

type Event = { t: number; seq: number; kind: 'arrive' | 'call' | 'finish'; job: number; k: number };

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function simulate(input: ModelInput): ModelOutput {
  const { objects: n, workers, callsPerReconcile: r } = input;
  const s = Math.max(0, input.serviceSeconds);
  const limited = input.qps > 0 && r > 0;
  const segment = r > 0 ? s / r : s;
  const events = new Heap<Event>((a, b) => a.t < b.t || (a.t === b.t && a.seq < b.seq));
  let seq = 0;
  const arrival = new Float64Array(n);
  const started = new Float64Array(n);
  const ready = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    arrival[i] = i / input.arrivalRate;
    events.push({ t: arrival[i]!, seq: seq++, kind: 'arrive', job: i, k: 0 });
  }
  let free = Math.max(1, workers);
  const queue: number[] = [];
  let head = 0;
  // token bucket as reservations: `tokens` may go negative (time owed), refilled at qps
  let tokens = Math.max(1, input.burst);
  let last = 0;
  const start = (job: number, t: number) => {
    free--;
    started[job] = t;
    if (r > 0) events.push({ t, seq: seq++, kind: 'call', job, k: 0 });
    else events.push({ t: t + s, seq: seq++, kind: 'finish', job, k: 0 });
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
      const next = proceed + segment;
      if (event.k + 1 < r) events.push({ t: next, seq: seq++, kind: 'call', job: event.job, k: event.k + 1 });
      else events.push({ t: next, seq: seq++, kind: 'finish', job: event.job, k: 0 });
    } else {
      ready[event.job] = event.t;
      free++;
      if (head < queue.length) start(queue[head++]!, event.t);
    }
  }
  const ttr = Array.from({ length: n }, (_, i) => ready[i]! - arrival[i]!).sort((a, b) => a - b);
  let busy = 0;
  let end = 0;
  for (let i = 0; i < n; i++) {
    busy += ready[i]! - started[i]!;
    end = Math.max(end, ready[i]!);
  }
  return {
    p50: quantile(ttr, 0.5),
    p90: quantile(ttr, 0.9),
    p99: quantile(ttr, 0.99),
    max: ttr[ttr.length - 1] ?? 0,
    reconcileMean: n > 0 ? busy / n : 0,
    throughput: end > 0 ? n / end : 0,
  };
}

/**
 * The work time S that, with the measured settings, reproduces the measured mean reconcile time S̄:
 * the part of S̄ that was waiting on the client rate limiter is not work and must not be carried over
 * to other settings. Bisection; S̄ itself when the limiter never bound.
 */
export function calibrateService(measuredMean: number, input: Omit<ModelInput, 'serviceSeconds'>): number {
  const at = (s: number) => simulate({ ...input, serviceSeconds: s }).reconcileMean;
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
