import { describe, expect, it } from 'vitest';
import { parseExposition } from './parse.js';
import { computeSignals } from './signals.js';
import { TargetStore } from './store.js';

/** One controller-runtime exposition with the given counters (tiny but real). */
function exposition(v: {
  adds: number;
  ok: number;
  err: number;
  sum: number;
  b1: number;
  b5: number;
  inf: number;
  depth: number;
  qsum: number;
  qcount: number;
  start?: number;
  goroutines?: number;
  cpu?: number;
}) {
  return `# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="machine",result="success"} ${v.ok}
controller_runtime_reconcile_total{controller="machine",result="error"} ${v.err}
# TYPE controller_runtime_reconcile_time_seconds histogram
controller_runtime_reconcile_time_seconds_bucket{controller="machine",le="0.1"} ${v.b1}
controller_runtime_reconcile_time_seconds_bucket{controller="machine",le="0.5"} ${v.b5}
controller_runtime_reconcile_time_seconds_bucket{controller="machine",le="+Inf"} ${v.inf}
controller_runtime_reconcile_time_seconds_sum{controller="machine"} ${v.sum}
controller_runtime_reconcile_time_seconds_count{controller="machine"} ${v.inf}
# TYPE controller_runtime_max_concurrent_reconciles gauge
controller_runtime_max_concurrent_reconciles{controller="machine"} 2
# TYPE workqueue_adds_total counter
workqueue_adds_total{controller="machine",name="machine"} ${v.adds}
# TYPE workqueue_depth gauge
workqueue_depth{controller="machine",name="machine"} ${v.depth}
# TYPE workqueue_queue_duration_seconds histogram
workqueue_queue_duration_seconds_bucket{controller="machine",name="machine",le="1"} ${v.qcount}
workqueue_queue_duration_seconds_bucket{controller="machine",name="machine",le="+Inf"} ${v.qcount}
workqueue_queue_duration_seconds_sum{controller="machine",name="machine"} ${v.qsum}
workqueue_queue_duration_seconds_count{controller="machine",name="machine"} ${v.qcount}
# TYPE process_start_time_seconds gauge
process_start_time_seconds ${v.start ?? 1000}
# TYPE go_goroutines gauge
go_goroutines ${v.goroutines ?? 50}
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${v.cpu ?? 0}
`;
}

const scrape = (v: Parameters<typeof exposition>[0]) => parseExposition(exposition(v));

describe('signals from a window of scrapes', () => {
  it('computes λ, X, S̄, ρ, queue wait and the Little check', () => {
    const store = new TargetStore('t');
    // 10 s apart; each interval: 20 adds, 20 reconciles (S̄ 0.2 s), W=2 → a = 2·0.2·… ρ = 0.4
    for (let i = 0; i < 4; i++) {
      store.add(
        i * 10_000,
        scrape({
          adds: 20 * i,
          ok: 19 * i,
          err: i,
          sum: 4 * i,
          b1: 5 * i,
          b5: 18 * i,
          inf: 20 * i,
          depth: 0.4,
          qsum: 0.2 * 20 * i,
          qcount: 20 * i,
          cpu: 2 * i,
        }),
      );
    }
    const signals = computeSignals(store);
    const machine = signals.controllers[0]!;
    expect(signals.windowSeconds).toBe(30);
    expect(machine.arrivalRate).toBeCloseTo(2, 12);
    expect(machine.throughput).toBeCloseTo(2, 12);
    expect(machine.serviceMean).toBeCloseTo(0.2, 12);
    expect(machine.workers).toBe(2);
    expect(machine.utilization).toBeCloseTo(0.2, 12);
    expect(machine.queueWaitMean).toBeCloseTo(0.2, 12);
    expect(machine.littlesLawGap).toBeCloseTo(0, 12); // depth 0.4 = λ 2 × W̄q 0.2
    expect(machine.errorShare).toBeCloseTo(0.05, 12);
    // 60 obs: 15 ≤ 0.1, 54 ≤ 0.5 → p95 rank 57 lands in +Inf → 0.5
    expect(machine.serviceP95).toBe(0.5);
    expect(signals.process.cpuCores).toBeCloseTo(0.2, 12);
  });

  it("counts a controller's reconcile times from 0 when their histogram appears after the first scrape", () => {
    // a controller just restarted: its reconcile counter exists from the start (controller-runtime
    // sets it to 0), its reconcile-time histogram only from the first reconcile on
    const idle = { adds: 0, ok: 0, err: 0, sum: 0, b1: 0, b5: 0, inf: 0, depth: 0, qsum: 0, qcount: 0 };
    const beforeFirstReconcile = exposition(idle)
      .split('\n')
      .filter((line) => !line.includes('controller_runtime_reconcile_time_seconds'))
      .join('\n');
    const store = new TargetStore('t');
    store.add(0, parseExposition(beforeFirstReconcile));
    store.add(
      4000,
      scrape({ ...idle, adds: 94, ok: 94, sum: 18.8, b1: 0, b5: 94, inf: 94, qsum: 9.4, qcount: 94 }),
    );
    const machine = computeSignals(store).controllers[0]!;
    expect(machine.reconciles).toBe(94);
    expect(machine.serviceMean).toBeCloseTo(0.2, 12);
    // all 94 between 0.1 and 0.5 s: p95 interpolated in that bucket
    expect(machine.serviceP95).toBeCloseTo(0.48, 12);
  });

  it('treats a restarted process as a reset of every counter and histogram', () => {
    const store = new TargetStore('t');
    store.add(
      0,
      scrape({
        adds: 100,
        ok: 100,
        err: 0,
        sum: 10,
        b1: 50,
        b5: 90,
        inf: 100,
        depth: 0,
        qsum: 1,
        qcount: 100,
      }),
    );
    store.add(
      10_000,
      scrape({
        adds: 120,
        ok: 120,
        err: 0,
        sum: 12,
        b1: 60,
        b5: 110,
        inf: 120,
        depth: 0,
        qsum: 1.2,
        qcount: 120,
      }),
    );
    // restart: start time changes; counters start again (and happen to be higher than a reset would show)
    store.add(
      20_000,
      scrape({
        adds: 130,
        ok: 130,
        err: 0,
        sum: 13,
        b1: 70,
        b5: 125,
        inf: 130,
        depth: 0,
        qsum: 1.3,
        qcount: 130,
        start: 2000,
      }),
    );
    const signals = computeSignals(store);
    expect(signals.process.restarts).toBe(1);
    expect(signals.controllers[0]!.reconciles).toBe(20 + 130);
    expect(store.histogramDelta('controller_runtime_reconcile_time_seconds').count).toBe(20 + 130);
    expect(signals.flags.map((f) => f.signal)).toContain('restart');
  });

  it('sees a goroutine leak as a positive slope', () => {
    const store = new TargetStore('t');
    for (let i = 0; i < 6; i++)
      store.add(
        i * 60_000,
        scrape({
          adds: 0,
          ok: 0,
          err: 0,
          sum: 0,
          b1: 0,
          b5: 0,
          inf: 0,
          depth: 0,
          qsum: 0,
          qcount: 0,
          goroutines: 100 + 25 * i,
        }),
      );
    expect(computeSignals(store).process.goroutineSlopePerMinute).toBeCloseTo(25, 9);
  });

  it('does not read a controller still starting at the first scrape as a leak', () => {
    // as a fresh lab operator showed it: 174 goroutines at the first scrape, 300 from then on
    const store = new TargetStore('t');
    for (let i = 0; i < 17; i++) {
      const counters = { adds: 0, ok: 0, err: 0, sum: 0, b1: 0, b5: 0, inf: 0, depth: 0, qsum: 0, qcount: 0 };
      store.add(i * 5_000, scrape({ ...counters, goroutines: i === 0 ? 174 : 300 + (i % 2) }));
    }
    const slope = computeSignals(store).process.goroutineSlopePerMinute!;
    // a least-squares line through the same points rises 30 a minute: over the leak threshold
    expect(Math.abs(slope)).toBeLessThan(1);
  });

  it('flags a target without controller metrics, and too few scrapes', () => {
    const store = new TargetStore('t');
    store.add(0, parseExposition('go_goroutines 3\n'));
    expect(computeSignals(store).flags.map((f) => f.signal)).toEqual([
      'window',
      'controller_runtime_reconcile_total',
      'process_cpu_seconds_total',
    ]);
  });

  it('survives a save and load round trip (NaN gaps included)', () => {
    const store = new TargetStore('t');
    store.add(0, parseExposition('a 1\n'));
    store.add(1000, parseExposition('a 2\nb 5\n'));
    const loaded = TargetStore.load(JSON.parse(JSON.stringify(store.save())));
    expect(loaded.gaugeSeries('b')).toEqual([Number.NaN, 5]);
    expect(loaded.increase('a')).toBe(1);
  });
});
