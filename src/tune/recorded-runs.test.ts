import { describe, expect, it } from 'vitest';
import { tuneSection } from '../render/html/sections/tune.js';
import { makeStyle } from '../render/style.js';
import { renderTune } from '../render/tune-views.js';
import { renderConfigMapYaml } from './configmap.js';
import { BOTTLENECK_OF, RECORDED, type RecordedName, recordedRun } from './fixtures/recorded.js';
import { parseQuantityBytes } from './performance-config.js';
import type { TuneOptions } from './run-model.js';
import { tune } from './tune.js';

/** The tuner on runs recorded from the lab, one per bottleneck (src/tune/fixtures). */

/** The tuner on a recorded run after `edit` changed it (a fresh copy each call). */
const tunedEdited = (
  name: RecordedName,
  edit: (run: ReturnType<typeof recordedRun>) => void,
  options: Partial<TuneOptions> = {},
) => {
  const run = recordedRun(name);
  edit(run);
  return tune({
    run,
    current: structuredClone(RECORDED[name]),
    currentSource: 'recorded',
    strategy: 'balanced',
    ...options,
  });
};
const tuned = (name: RecordedName, options: Partial<TuneOptions> = {}) =>
  tunedEdited(name, () => {}, options);
const rec = (result: ReturnType<typeof tune>, knob: string) =>
  result.recommendations.find((r) => r.knob === knob)!;

/** The runs the model reproduces; it has no admission webhook in it (see the webhook-bound test). */
const MODELLED: RecordedName[] = ['workers', 'client-qps', 'apiserver', 'apf', 'shared-cpu'];

describe.each(Object.keys(RECORDED) as RecordedName[])(
  'the diagnosis of the recorded %s-bound run',
  (name) => {
    it('names the bottleneck', () => {
      expect(tuned(name).diagnosis.bottleneck).toBe(BOTTLENECK_OF[name]);
    });
  },
);

/** As a lab run once recorded it: the server's mutating p99 at 2.7 s at 9.5 requests/s, its CPU idle. */
const etcdStall = (run: ReturnType<typeof recordedRun>) => {
  const mutating = run.apiserver!.sli.checks.find((check) => check.name === 'mutating')!;
  Object.assign(mutating, { p99Ms: 2659, verdict: 'fail' });
};

describe('a limiter-bound run during which etcd stalled', () => {
  it('names the limiter, where the objects wait, and reports the slow server beside it', () => {
    const result = tunedEdited('client-qps', etcdStall);
    expect(result.diagnosis.bottleneck).toBe('client-qps');
    expect(result.diagnosis.message).toMatch(
      /The API server was also slow \(mutating p99 2659ms misses the 1000ms SLO\) at [\d.]+ requests\/s with no sign of load/,
    );
    expect(rec(result, 'rateLimit.qps').changed).toBe(true);
  });

  it('still calls a server that queues its requests the bottleneck', () => {
    const result = tunedEdited('client-qps', (run) => {
      etcdStall(run);
      run.apiserver!.flowControl.waitP99Ms = [{ priorityLevel: 'workload-low', requests: 100, p99Ms: 800 }];
    });
    expect(result.diagnosis.bottleneck).toBe('apiserver');
    expect(rec(result, 'rateLimit.qps').changed).toBe(false);
  });
});

describe('the limiter wait in a reconcile', () => {
  it("takes the API server's timing of the calls when nearly every call waited at the limiter", () => {
    const share = (result: ReturnType<typeof tune>) =>
      Number(result.diagnosis.evidence['limiter wait share']);
    const asRecorded = share(tuned('client-qps'));
    // the fastest tenth of the calls waited too: their time is no measure of a call without the wait
    const everyCallWaited = tunedEdited('client-qps', (run) => {
      const vitistack = run.observe!.targets[0]!.signals!.vitistack!;
      vitistack.apiCallP10 = 0.9 * vitistack.apiCallMean!;
    });
    expect(everyCallWaited.diagnosis.bottleneck).toBe('client-qps');
    expect(asRecorded).toBeGreaterThan(0.5);
    expect(share(everyCallWaited)).toBeCloseTo(asRecorded, 1);
    expect(everyCallWaited.prediction!.model).toMatch(/the API server's median for the controller's calls/);
  });
});

describe.each(MODELLED)('the model on the recorded %s-bound run', (name) => {
  it('reproduces the measured p50 and p99 within 15%', () => {
    const result = tuned(name);
    const measured = result.measured!;
    const current = result.prediction!.current!;
    expect(Math.abs(current.p50Ms / measured.p50Ms - 1)).toBeLessThanOrEqual(0.15);
    expect(Math.abs(current.p99Ms / measured.p99Ms - 1)).toBeLessThanOrEqual(0.15);
    // a distribution, not one value
    expect(current.p99Ms).toBeGreaterThan(current.p50Ms);
  });
});

describe('the diagnosis on recorded runs', () => {
  it('worker-bound: raises workers by square-root staffing and predicts the drain shortens', () => {
    const result = tuned('workers');
    expect(result.diagnosis.message).toMatch(/queueing for workers: .* on 1 worker\(s\)/);
    const workers = rec(result, 'controller.maxConcurrentReconciles');
    expect(workers.changed).toBe(true);
    expect(Number(workers.recommended)).toBeGreaterThan(1);
    expect(result.prediction!.recommended!.p99Ms).toBeLessThan(result.measured!.p99Ms / 5);
  });

  it('client-QPS-bound: lifts QPS, leaves the workers', () => {
    const result = tuned('client-qps');
    expect(result.diagnosis.message).toMatch(/client-side rate limit \(QPS 10, burst 20\) is the bottleneck/);
    expect(rec(result, 'rateLimit.qps')).toMatchObject({ current: 10, changed: true });
    expect(rec(result, 'controller.maxConcurrentReconciles').changed).toBe(false);
  });

  it('webhook-bound: names the webhook and its share of the way to ready, leaves the workers, points at the webhook', () => {
    const result = tuned('webhook');
    expect(result.diagnosis.message).toMatch(
      /admission webhook vmachine\.vitistack\.io \(validating\) is the bottleneck: the API server waits \d+ms .* each object waits for it 3 times, \d+% of the mean time to ready/,
    );
    // the lab's webhook sleeps 300 ms per call
    expect(result.diagnosis.evidence['webhook mean (ms)']).toBeGreaterThanOrEqual(300);
    expect(rec(result, 'controller.maxConcurrentReconciles').changed).toBe(false);
    expect(result.diagnosis.instead[0]).toMatch(/vitictl webhook bench --webhook vmachine\.vitistack\.io/);
    // the model has no webhook in it: it does not reproduce this run, and says so
    expect(result.notes.join('\n')).toMatch(
      /the model does not reproduce this run within 15% .*read its predictions as a direction/,
    );
  });

  it('API-server-bound: raises neither workers nor QPS, says what would help, in the ConfigMap too', () => {
    const result = tuned('apiserver');
    expect(result.diagnosis.message).toMatch(
      /API server is saturated: mutating p99 \d+ms misses the 1000ms SLO/,
    );
    expect(result.diagnosis.evidence['mutating p99 (ms)']).toBeGreaterThan(1000);
    expect(rec(result, 'controller.maxConcurrentReconciles').changed).toBe(false);
    expect(rec(result, 'rateLimit.qps').changed).toBe(false);
    expect(result.diagnosis.instead.join('\n')).toMatch(/fewer API calls per reconcile/);
    expect(result.diagnosis.instead.join('\n')).toMatch(/priority level/);
    const yaml = renderConfigMapYaml(result, { generatedAt: new Date(0) });
    expect(yaml).toMatch(/^ {4}# diagnosis \(apiserver\): the API server is saturated/m);
    expect(yaml).toMatch(/^ {4}# instead: fewer API calls per reconcile/m);
  });
});

describe('the API server with no cores to spare (1.3 of 2, shared with etcd, the operator and vitictl)', () => {
  it('keeps the 32 workers the formulas would raise, and says the server has no CPU for more', () => {
    const result = tuned('shared-cpu');
    expect(result.diagnosis.message).toMatch(
      /^the API server has no CPU for more load: even 33 workers would offer the API server \d+ requests\/s at the busiest second, which would need about 1\.\d of the 2 cores it may use/,
    );
    expect(rec(result, 'controller.maxConcurrentReconciles')).toMatchObject({
      current: 32,
      recommended: 32,
      changed: false,
    });
    expect(rec(result, 'rateLimit.qps').changed).toBe(false);
    expect(result.config.controller).toMatchObject({ workers: 32, maxConcurrentReconciles: 32 });
    expect(renderConfigMapYaml(result)).toMatch(
      /# diagnosis \(apiserver\): the API server has no CPU for more load/,
    );
  });
});

describe('sizing for the real size', () => {
  it('--objects 20000 from a 200-object run: a limit over the modelled need, marked extrapolated', () => {
    const result = tuned('workers', { objects: { count: 20000, source: 'flag' } });
    const sizing = result.sizing!;
    const memory = sizing.memory!;
    expect(sizing.objectsSeen).toBe(200);
    expect(sizing.extrapolated).toMatch(/extrapolated to 20000 objects from a run that held 200/);
    expect(memory.heapPerObjectBytes).toBeGreaterThan(1000);
    // the need is the overhead plus the heap at N grown to its GC goal
    const modelled = memory.overheadBytes + (memory.heapBaseBytes + memory.heapPerObjectBytes * 20000) * 2;
    expect(Math.abs(memory.needBytes / modelled - 1)).toBeLessThan(1e-4);
    const limit = parseQuantityBytes(String(rec(result, 'resourceOptimization.memory.limit').recommended))!;
    expect(limit).toBeGreaterThanOrEqual(1.15 * memory.needBytes);
    expect(rec(result, 'resourceOptimization.memory.limit').why).toMatch(
      /20000 cached objects \(--objects\), extrapolated/,
    );
    // GOMEMLIMIT from the same model: under the limit, over the need
    const gomemlimit = parseQuantityBytes(
      String(rec(result, 'gc.gomemlimit').recommended).replace('MiB', 'Mi'),
    )!;
    expect(gomemlimit).toBeLessThan(limit);
    expect(gomemlimit).toBeGreaterThanOrEqual(memory.needBytes);
    expect(result.notes.join('\n')).toMatch(/memory is extrapolated/);
  });

  it('at the run’s own size the limit covers what the run used', () => {
    const result = tuned('apiserver');
    expect(result.sizing!.extrapolated).toBeNull();
    const limit = parseQuantityBytes(String(rec(result, 'resourceOptimization.memory.limit').recommended))!;
    const rssMax = recordedRun('apiserver').observe!.targets[0]!.signals!.process.rssMaxBytes!;
    expect(limit).toBeGreaterThanOrEqual(1.15 * rssMax);
  });

  it('sizes CPU for --peak-rate from the fitted CPU per object/s', () => {
    const result = tuned('apiserver', { peakRate: 50 });
    const cpu = result.sizing!.cpu!;
    expect(cpu.needCores).toBeCloseTo(cpu.baseCores + cpu.coresPerObjectPerSecond * 50, 9);
  });
});

describe('the API server bound by API Priority and Fairness (the operator on a level of 3 seats)', () => {
  it('names the level that queued it, raises nothing, and says what would help', () => {
    const result = tuned('apf');
    expect(result.diagnosis.message).toMatch(
      /queued in API Priority and Fairness \(bench-operator-tight wait p99 \d+ms\)/,
    );
    for (const knob of ['controller.maxConcurrentReconciles', 'rateLimit.qps', 'rateLimit.burst'])
      expect(rec(result, knob).changed).toBe(false);
    expect(result.diagnosis.instead.join('\n')).toMatch(/API Priority and Fairness priority level/);
  });

  it('predicts the recommendation (the same concurrency) from the model that reproduced the run', () => {
    // the model's busiest second offers more than any scrape interval's average showed: the run's own
    // model is inside its range, and so is a recommendation that offers no more than it
    const prediction = tuned('apf').prediction!;
    expect(prediction.refused).toEqual([]);
    expect(prediction.current!.apiserverPeakRps).toBeGreaterThan(prediction.validity!.apiserverRps.max);
    expect(prediction.recommended!.p50Ms).toBeCloseTo(prediction.current!.p50Ms, -2);
  });
});

describe('no config at hand', () => {
  it('models the workers the controller reported, not a default of 1, and says so', () => {
    const known = tuned('apiserver');
    const unknown = tuned('apiserver', { current: undefined, currentSource: 'unknown' });
    expect(unknown.currentSource).toMatch(
      /^unknown: 32 worker\(s\) as the controller reports them \(controller_runtime_max_concurrent_reconciles\)/,
    );
    expect(rec(unknown, 'controller.maxConcurrentReconciles').current).toBe(32);
    expect(unknown.diagnosis.bottleneck).toBe(known.diagnosis.bottleneck);
    // the model reproduces the run it was fitted on, as it does with the config
    expect(unknown.prediction!.fit).toEqual(known.prediction!.fit);
    expect(Math.abs(unknown.prediction!.fit!.p99 - 1)).toBeLessThanOrEqual(0.15);
    // a config that sets the workers is believed over the report
    const set = tuned('apiserver', {
      current: { controller: { maxConcurrentReconciles: 32 } },
      currentSource: 'file',
    });
    expect(set.currentSource).toBe('file');
  });
});

describe('the range of validity', () => {
  it('states the rates, objects and workers it saw', () => {
    const validity = tuned('workers').prediction!.validity!;
    expect(validity.objects).toBe(200);
    expect(validity.workers).toEqual([1]);
    expect(validity.apiserverRps.max).toBeGreaterThan(validity.apiserverRps.min);
  });

  it('refuses, with the reason, a peak rate far beyond the rates seen', () => {
    const prediction = tuned('workers', { peakRate: 500 }).prediction!;
    expect(prediction.current).toBeNull();
    expect(prediction.recommended).toBeNull();
    expect(prediction.refused[0]).toMatch(/--peak-rate 500\/s is beyond the arrival rates this run saw/);
  });

  it('steps toward many more workers than it saw, as far as it can predict, and says why not further', () => {
    const result = tuned('workers', { strategy: 'strict' });
    const prediction = result.prediction!;
    expect(prediction.current).not.toBeNull();
    expect(prediction.refused).toEqual([]);
    const step = prediction.step!;
    // strict square-root staffing asks for 5; 4× the 1 worker seen is as far as the model goes
    expect(step.target.workers).toBe(5);
    expect(step.beyond[0]).toMatch(/^5 workers is over 4× the 1 this run saw/);
    expect(result.settings.recommended.workers).toBe(4);
    expect(step.fraction).toBeCloseTo(Math.log(4) / Math.log(5), 3);
    const workers = rec(result, 'controller.maxConcurrentReconciles');
    expect(workers).toMatchObject({ current: 1, recommended: 4, changed: true });
    expect(workers.why).toMatch(/a step toward 5, as far as the model can predict/);
    expect(result.config.controller).toMatchObject({ workers: 4, maxConcurrentReconciles: 4 });
    expect(prediction.recommended!.p99Ms).toBeLessThan(prediction.current!.p99Ms);
  });

  it('trusts a latency curve fitted on too few scrape intervals no further than a rising one', () => {
    // the run's series cut to two intervals: a line through them says nothing about the curve's shape
    const prediction = tunedEdited('workers', (run) => {
      run.apiserver!.series = run.apiserver!.series.slice(0, 3);
    }).prediction!;
    const reasons = [...prediction.refused, ...(prediction.step?.beyond ?? [])];
    expect(reasons.join('\n')).toMatch(
      /scrape interval\(s\) cannot show the latency curve's shape \(a longer load or a shorter --metrics-interval gives more\): trusted to 1\.2× that/,
    );
  });

  it('keeps workers and QPS when even one more worker would take the API server past 70% of its cores', () => {
    // 0.8 of 2 cores at the run's mean rate: a second worker doubles what the controller asks of it
    const edit = (run: ReturnType<typeof recordedRun>) => {
      run.apiserver!.cpu = { cores: 0.8, gomaxprocs: 2, schedWaitP99Ms: null };
    };
    const result = tunedEdited('workers', edit);
    const prediction = result.prediction!;
    expect(prediction.held!.settings.workers).toBe(2);
    expect(prediction.held!.why).toMatch(
      /^even 2 workers would offer the API server \d+ requests\/s at the busiest second, which would need about 1\.\d of the 2 cores it may use \(it used 0\.8 at \d+\/s; past 70% every request waits for a core\)$/,
    );
    // the recommendation offers the load the run did: its prediction is the current one
    expect(prediction.refused).toEqual([]);
    expect(prediction.recommended).toEqual(prediction.current);
    const workers = rec(result, 'controller.maxConcurrentReconciles');
    expect(workers).toMatchObject({ current: 1, recommended: 1, changed: false });
    expect(workers.why).toMatch(/^the formulas ask for \d+ \(queueing dominates.*\), but even 2 workers/);
    expect(result.config.controller).toMatchObject({ workers: 1, maxConcurrentReconciles: 1 });
    expect(result.diagnosis.bottleneck).toBe('apiserver');
    expect(result.diagnosis.message).toMatch(
      /^the API server has no CPU for more load: even 2 workers .*\. The controller shows queueing for workers/,
    );
    expect(result.diagnosis.instead[0]).toMatch(/give the API server more CPU/);
    expect(renderTune(result, makeStyle(false))).toMatch(/workers, QPS and burst kept: even 2 workers/);
    // a knob the current config left unset is left unset again
    const unset = tunedEdited('workers', edit, { current: { rateLimit: { qps: -1 } } });
    expect(unset.prediction!.held).not.toBeNull();
    expect(unset.config.controller).toBeUndefined();
  });

  it('says in the terminal, the ConfigMap and the report that it is a step, and why not further', () => {
    const result = tuned('workers', { strategy: 'strict' });
    const text = renderTune(result, makeStyle(false));
    expect(text).toMatch(/a step of 86% toward the formulas' workers 5, QPS unlimited, burst 0/);
    expect(text).toMatch(/· 5 workers is over 4× the 1 this run saw/);
    expect(renderConfigMapYaml(result)).toMatch(
      /# controller\.maxConcurrentReconciles: 1 → 4: .*a step toward 5/,
    );
    expect(tuneSection(result).text).toContain('5 workers is over 4× the 1 this run saw');
  });
});
