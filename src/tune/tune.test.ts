import { describe, expect, it } from 'vitest';
import { quietWatch } from '../../test/helpers/run-fixture.js';
import type { PerformanceConfig } from '../config/performance-schema.js';
import { newHistogram, recordMs, summarize } from '../report/histogram.js';
import type { RunResult } from '../report/run-result.js';
import type { ControllerSignals, ProcessSignals, Signals } from '../report/sections/signals.js';
import { renderConfigMapYaml } from './configmap.js';
import { tune } from './tune.js';

function controller(overrides: Partial<ControllerSignals> = {}): ControllerSignals {
  return {
    controller: 'machine',
    arrivalRate: 10,
    throughput: 10,
    serviceMean: 0.1,
    serviceP95: 0.2,
    workers: 4,
    activeWorkersMean: 1,
    offeredLoad: 1,
    utilization: 0.25,
    queueWaitMean: 0.01,
    queueDepthMean: 0.1,
    queueDepthMax: 2,
    littlesLawGap: 0,
    errorShare: 0,
    requeueShare: 0,
    reconciles: 1000,
    ...overrides,
  };
}

function process(overrides: Partial<ProcessSignals> = {}): ProcessSignals {
  return {
    cpuCores: 0.2,
    cpuP90Cores: 0.3,
    rssMeanBytes: 100 * 2 ** 20,
    rssP95Bytes: 110 * 2 ** 20,
    rssMaxBytes: 120 * 2 ** 20,
    heapLiveBytes: 40 * 2 ** 20,
    gcCpuShare: 0.02,
    goroutinesMean: 200,
    goroutineSlopePerMinute: 0,
    restRequestsPerSecond: 40,
    restRequestsPerReconcile: 4,
    rest429PerSecond: 0,
    gogc: 100,
    gomemlimitBytes: null,
    restarts: 0,
    ...overrides,
  };
}

const summary = (ms: number[]) => {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return summarize(h);
};

function run(c: ControllerSignals, p: ProcessSignals, rate = 10, objects = 1000): RunResult {
  const signals: Signals = {
    target: 't',
    windowSeconds: 100,
    scrapes: 50,
    controllers: [c],
    process: p,
    vitistack: null,
    flags: [],
  };
  const latency = {
    create: summary([5]),
    timeToReady: summary([100, 120, 500]),
    serverTimeToReady: summary([]),
    watchLag: summary([1]),
  };
  const counts = {
    total: objects,
    ready: objects,
    failed: 0,
    timedOut: 0,
    notWaited: 0,
    interrupted: 0,
    notStarted: 0,
    created: objects,
  };
  return {
    schemaVersion: 2,
    kind: 'vitictl.io/RunResult',
    tool: { name: 'vitictl', version: 't' },
    runId: 'r1',
    scenario: { name: 's', file: 'f', seed: 1, objects },
    target: { server: 's', context: 'c', kubernetesVersion: 'v', insecureSkipTlsVerify: false },
    startedAt: '',
    endedAt: '',
    interrupted: false,
    phases: [],
    apply: {
      mode: 'open',
      requestedRate: rate,
      burst: 1,
      concurrency: null,
      achievedRate: rate,
      createThroughput: rate,
      maxStartsIn100ms: 1,
      lateStarts: 0,
      scheduleSlips: 0,
      creation: { start: '', end: '', seconds: objects / rate },
      counts,
      sets: [],
      latency,
      errors: {},
      retries: 0,
      attempts: { retriedObjects: 0, maxAttempts: 1, throttledObjects: 0, throttledSeconds: 0 },
      failures: [],
      failureReasons: {},
      series: [],
      watch: quietWatch,
    },
    observe: {
      intervalSeconds: 2,
      window: { start: '', end: '' },
      targets: [{ target: 't', scrapes: 50, failures: 0, signals }],
    },
    methods: {},
  };
}

const config = (yaml: PerformanceConfig) => yaml;
const rec = (result: ReturnType<typeof tune>, knob: string) =>
  result.recommendations.find((r) => r.knob === knob)!;

describe('tuning rules', () => {
  it("raises workers when queueing dominates, by Little's law and square-root staffing", () => {
    const result = tune({
      run: run(
        controller({ serviceMean: 0.5, queueWaitMean: 2 }),
        process({ restRequestsPerSecond: 40 }),
        10,
      ),
      current: config({ controller: { workers: 2 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(result.diagnosis.bottleneck).toBe('workers');
    // a = 10/s × 0.5 s = 5; W = ⌈5 + √5⌉ = 8
    expect(rec(result, 'controller.maxConcurrentReconciles')).toMatchObject({
      current: 2,
      recommended: 8,
      changed: true,
    });
    expect(result.config.controller?.workers).toBe(8);
    const strict = tune({
      run: run(controller({ serviceMean: 0.5 }), process(), 10),
      current: config({ controller: { workers: 2 } }),
      currentSource: 'test',
      strategy: 'strict',
    });
    expect(rec(strict, 'controller.maxConcurrentReconciles').recommended).toBe(
      Math.ceil(5 + 2 * Math.sqrt(5)),
    );
  });

  it('lowers workers that sit idle', () => {
    const result = tune({
      run: run(controller({ serviceMean: 0.01 }), process(), 10),
      current: config({ controller: { workers: 32 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(rec(result, 'controller.maxConcurrentReconciles')).toMatchObject({
      current: 32,
      recommended: 1,
      changed: true,
    });
  });

  it('keeps the workers when the run measured reconciles but no reconcile time', () => {
    // two scrapes around a short load on a controller that had just restarted: its reconcile-time
    // histogram was not in the window, so S̄ reads 0 — no evidence that the 32 workers idle
    const result = tune({
      run: run(controller({ serviceMean: 0, serviceP95: null, reconciles: 94 }), process(), 10),
      current: config({ controller: { workers: 32 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    const workers = rec(result, 'controller.maxConcurrentReconciles');
    expect(workers).toMatchObject({ current: 32, changed: false });
    expect(workers.why).toMatch(/the run measured no reconcile time/);
  });

  it('names the QPS limit, and does not raise workers, when the client is QPS-bound and the work is small', () => {
    // 8 workers, QPS 10 at 4 requests per reconcile: throughput capped near 2.5/s; S̄ = W/X = 3.2 s, nearly all waiting
    const result = tune({
      run: run(
        controller({
          serviceMean: 3.2,
          throughput: 2.5,
          arrivalRate: 10,
          queueWaitMean: 30,
          reconciles: 500,
        }),
        process({ restRequestsPerSecond: 10, restRequestsPerReconcile: 4 }),
        10,
        500,
      ),
      current: config({ controller: { workers: 8 }, rateLimit: { qps: 10, burst: 20 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(result.diagnosis.bottleneck).toBe('client-qps');
    expect(result.diagnosis.message).toMatch(/client-side rate limit \(QPS 10, burst 20\) is the bottleneck/);
    expect(rec(result, 'rateLimit.qps')).toMatchObject({ current: 10, recommended: 60, changed: true }); // ⌈1.5·10·4⌉
    expect(rec(result, 'rateLimit.burst').recommended).toBe(120);
    expect(rec(result, 'controller.maxConcurrentReconciles')).toMatchObject({ current: 8, changed: false });
    expect(rec(result, 'controller.maxConcurrentReconciles').why).toMatch(/hidden behind the QPS limit/);
  });

  /**
   * 1 worker at QPS 5: S̄ 0.58 s, 100 reconciles, `restPerReconcile` REST requests each; the operator's
   * API-call metric times 500 calls, mean 76 ms, the fastest tenth 2 ms.
   */
  const throttledAtFive = (restPerReconcile: number) => {
    const c = controller({
      serviceMean: 0.58,
      throughput: 1.7,
      arrivalRate: 20,
      workers: 1,
      reconciles: 100,
      queueWaitMean: 25,
    });
    const r = run(
      c,
      process({ restRequestsPerSecond: 8.6, restRequestsPerReconcile: restPerReconcile }),
      20,
      100,
    );
    const signals = r.observe!.targets[0]!.signals as unknown as Signals;
    signals.vitistack = {
      cacheHitRatio: null,
      apiCallMean: 0.076,
      apiCallP10: 0.002,
      apiCalls: 500,
      queueDepthMean: null,
    };
    return tune({
      run: r,
      current: config({ controller: { workers: 1 }, rateLimit: { qps: 5, burst: 10 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
  };

  it("with the guide's API-call metric, separates limiter waits from work and sizes workers for after the QPS fix", () => {
    // 1 worker, QPS 5: S̄ 0.58 s of which 5 calls × (76 − 2) ms waiting; the work is ~0.21 s
    const result = throttledAtFive(5);
    expect(result.diagnosis.bottleneck).toBe('client-qps');
    expect(result.prediction!.workSeconds).toBeCloseTo(0.58 - 5 * 0.074, 9);
    const a = 20 * (0.58 - 5 * 0.074);
    // the formula's workers are over 4× the 1 the run saw: the recommendation is the step to 4
    expect(result.prediction!.step!.target.workers).toBe(Math.ceil(a + Math.sqrt(a)));
    expect(rec(result, 'controller.maxConcurrentReconciles')).toMatchObject({
      current: 1,
      recommended: 4,
      changed: true,
    });
    expect(result.prediction!.step!.target.qps).toBe(150);
    // QPS moves the same share of the way as a ratio (it is not rounded to whole workers)
    expect(Number(rec(result, 'rateLimit.qps').recommended)).toBeGreaterThan(5 * (150 / 5) ** 0.7);
    expect(Number(rec(result, 'rateLimit.qps').recommended)).toBeLessThan(150);
  });

  it('counts the limiter wait of REST calls the API-call metric does not time', () => {
    // 6 REST requests per reconcile pass the limiter; the operator times 5 of them
    const result = throttledAtFive(6);
    expect(result.prediction!.workSeconds).toBeCloseTo(0.58 - 6 * 0.074, 9);
  });

  it('does not blame a limiter the client runs far below: slow calls are server latency', () => {
    const c = controller({
      serviceMean: 0.254,
      throughput: 28,
      arrivalRate: 50,
      workers: 8,
      reconciles: 150,
    });
    const r = run(c, process({ restRequestsPerSecond: 112, restRequestsPerReconcile: 4 }), 50, 150);
    const signals = r.observe!.targets[0]!.signals as unknown as Signals;
    signals.vitistack = {
      cacheHitRatio: null,
      apiCallMean: 0.05,
      apiCallP10: 0.002,
      apiCalls: 600,
      queueDepthMean: null,
    };
    const result = tune({
      run: r,
      current: config({ controller: { workers: 8 }, rateLimit: { qps: 2000, burst: 4000 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(result.diagnosis.bottleneck).not.toBe('client-qps');
    expect(rec(result, 'controller.maxConcurrentReconciles').evidence['S work (s)']).toBe(0.254);
    expect(rec(result, 'rateLimit.qps').changed).toBe(false);
  });

  it('leaves an unlimited client alone when nothing throttles', () => {
    const result = tune({
      run: run(controller(), process()),
      current: config({}),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(rec(result, 'rateLimit.qps')).toMatchObject({ recommended: null, changed: false });
  });

  it('does not raise workers when the API server throttles (429) or the CPU limit binds', () => {
    const throttled = tune({
      run: run(controller({ serviceMean: 0.5 }), process({ rest429PerSecond: 3 })),
      current: config({ controller: { workers: 2 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(throttled.diagnosis.bottleneck).toBe('apiserver');
    expect(throttled.diagnosis.instead.join(' ')).toMatch(/fewer API calls per reconcile/);
    expect(rec(throttled, 'rateLimit.qps').changed).toBe(false);
    expect(rec(throttled, 'controller.maxConcurrentReconciles').changed).toBe(false);
    const cpu = tune({
      run: run(controller({ serviceMean: 0.5 }), process({ cpuP90Cores: 0.48 })),
      current: config({ controller: { workers: 2 }, resourceOptimization: { cpu: { limit: '500m' } } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(cpu.diagnosis.bottleneck).toBe('cpu');
    expect(rec(cpu, 'controller.maxConcurrentReconciles').changed).toBe(false);
  });

  it('refuses to recommend on top of a goroutine leak', () => {
    const result = tune({
      run: run(controller(), process({ goroutineSlopePerMinute: 80, goroutinesMean: 300 })),
      current: undefined,
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(result.refused).toMatch(/goroutines rise by 80\/min .* a leak/);
    expect(result.recommendations).toEqual([]);
  });

  it('sizes a polling requeue delay, the timeout, resources and GC with formulas', () => {
    const result = tune({
      run: run(
        controller({ requeueShare: 0.9, serviceP95: 4 }),
        process({ gcCpuShare: 0.2, heapLiveBytes: 30 * 2 ** 20 }),
        10,
        300,
      ),
      current: config({ controller: { workers: 4 }, reconciliation: { timeout: '5s' }, gc: { gogc: 100 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    // polling: 1000 reconciles for 300 objects, so λ = 10/s × 3.33 and the workers are re-sized first
    const workers = Number(rec(result, 'controller.maxConcurrentReconciles').recommended);
    expect(workers).toBe(Math.ceil(((10 * 1000) / 300) * 0.1 + Math.sqrt(((10 * 1000) / 300) * 0.1)));
    expect(rec(result, 'reconciliation.requeueDelay').recommended).toBe(
      `${Math.ceil((300 * 0.1) / (0.3 * workers))}s`,
    );
    expect(rec(result, 'reconciliation.timeout')).toMatchObject({ recommended: '20s', changed: true });
    expect(rec(result, 'resourceOptimization.cpu.request').recommended).toBe('350m'); // 1.15 × 0.3 cores, to 10m
    expect(rec(result, 'resourceOptimization.memory.request').recommended).toBe('127Mi'); // 1.15 × 110Mi
    expect(rec(result, 'resourceOptimization.memory.limit').recommended).toBe('138Mi');
    expect(rec(result, 'gc.gomemlimit').recommended).toBe('124MiB'); // 0.9 × 138Mi
    expect(rec(result, 'gc.gogc')).toMatchObject({ current: 100, recommended: 200, changed: true });
  });

  it('predicts the current and recommended time-to-ready with the model', () => {
    const result = tune({
      run: run(controller({ serviceMean: 0.5, queueWaitMean: 10 }), process(), 10, 1000),
      current: config({ controller: { workers: 2 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    expect(result.prediction!.recommended!.p99Ms).toBeLessThan(result.prediction!.current!.p99Ms / 10);
  });

  it('emits a ConfigMap that carries the evidence as comments', () => {
    const result = tune({
      run: run(controller({ serviceMean: 0.5 }), process()),
      current: config({ controller: { workers: 2 } }),
      currentSource: 'test',
      strategy: 'balanced',
    });
    const yaml = renderConfigMapYaml(result, { generatedAt: new Date(0) });
    expect(yaml).toMatch(/^kind: ConfigMap$/m);
    expect(yaml).toMatch(/^ {2}performance\.yaml: \|$/m);
    expect(yaml).toMatch(/^ {4}# controller\.maxConcurrentReconciles: 2 → 8: queueing dominates/m);
    expect(yaml).toMatch(/^ {6}maxConcurrentReconciles: 8$/m);
  });
});
