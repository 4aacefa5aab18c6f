import type { PerformanceConfig } from '../config/performance-schema.js';
import { inputError } from '../errors.js';
import type { ObserveTarget, RunResult } from '../report/run-result.js';
import { busiestController, type ControllerSignals, type Signals } from '../report/sections/signals.js';
import type {
  EffectiveSettings,
  LatencyCurve,
  PercentilesMs,
  Prediction,
  Sizing,
} from '../report/sections/tune.js';
import { apiserverPressure, controllerCallLatencyMs, fitLatencyCurve } from './apiserver-load.js';
import { effective } from './performance-config.js';
import { calibrateService, type ModelInput } from './predict.js';
import { MODEL_SEED, predict } from './prediction.js';

/**
 * The model of a run that tuning rests on: the controller picked from its signals, the settings it
 * ran with, the work in a reconcile without rate-limit waits, the API server's latency curve and
 * pressure; and the model's predictions for other settings.
 */

export interface TuneOptions {
  run: RunResult;
  current: PerformanceConfig | undefined;
  /** where `current` came from, for the report */
  currentSource: string;
  strategy: 'balanced' | 'strict';
  peakRate?: number | undefined;
  targetP99ReadyMs?: number | undefined;
  maxWorkers?: number;
  controller?: string | undefined;
  /** the object count to size memory for (default: the run's), and where it came from */
  objects?: { count: number; source: Sizing['objectsSource'] } | undefined;
}

/** The controller to tune (named, or the busiest) and its target; bad input when the run has none. */
export function pickSignals(
  run: RunResult,
  controllerName: string | undefined,
): { signals: Signals; controller: ControllerSignals; target: ObserveTarget } {
  const candidates = (run.observe?.targets ?? [])
    .map((t) => t.signals)
    .filter((s): s is Signals => s !== null);
  if (candidates.length === 0) {
    throw inputError(`run ${run.runId} has no controller signals`, {
      hint: 'record them: vitictl apply … --metrics http://OPERATOR:8080/metrics --out run.json (or vitictl perf run)',
    });
  }
  const best = busiestController(candidates, controllerName);
  if (!best) {
    const names = candidates.flatMap((s) => s.controllers.map((c) => c.controller));
    throw inputError(
      controllerName
        ? `no controller "${controllerName}" in the run's signals`
        : "the run's signals have no controllers",
      {
        hint: names.length ? `controllers: ${names.join(', ')}` : 'was the metrics target the operator?',
      },
    );
  }
  const target = run.observe?.targets.find((t) => t.signals === best.signals);
  if (!target) throw new Error('the picked signals belong to no target');
  return { ...best, target };
}

/** What the model of a run rests on: its controller, the settings it ran with, its work and its server. */
interface RunModel {
  signals: Signals;
  controller: ControllerSignals;
  target: ObserveTarget;
  settings: EffectiveSettings;
  currentSource: string;
  objects: number;
  reconcilesPerObject: number;
  /** the offered reconcile rate to size for, /s */
  lambda: number;
  /** REST clients sharing the work (client-go keeps one limiter per REST client) */
  limiters: number;
  work: ReturnType<typeof estimateWork>;
  callLatencyMs: number;
  curve: LatencyCurve | null;
  pressure: ReturnType<typeof apiserverPressure>;
}

export function modelOf(options: TuneOptions): RunModel {
  const { run } = options;
  const { signals, controller, target } = pickSignals(run, options.controller);
  const { settings, currentSource } = withReportedWorkers(options, controller.workers);
  const apply = run.apply;
  const objects = apply?.counts.created ?? controller.reconciles;
  const reconcilesPerObject = objects > 0 ? Math.max(1, controller.reconciles / objects) : 1;
  // size for the offered rate during the load, not an average over the drain that followed
  const lambda =
    options.peakRate ??
    (apply && apply.achievedRate > 0 ? apply.achievedRate * reconcilesPerObject : controller.arrivalRate);
  const calls = signals.process.restRequestsPerReconcile ?? 0;
  // client-go keeps one limiter per REST client (per GVK, plus the uncached reader's): the measured
  // REST rate under throttling says how many limiters share the work
  const limiters = settings.qps > 0 ? Math.max(1, signals.process.restRequestsPerSecond / settings.qps) : 1;
  const limiterOf = (qps: number, burst: number) => ({
    qps: qps > 0 ? qps * limiters : qps,
    burst: Math.ceil(burst * limiters),
  });
  const atLimit = settings.qps > 0 && signals.process.restRequestsPerSecond >= 0.9 * settings.qps;
  const plurals = apply?.sets.map((set) => set.plural) ?? [];
  const serverCallMs = run.apiserver ? controllerCallLatencyMs(run.apiserver, plurals) : null;
  const work = estimateWork(controller, signals, atLimit, serverCallMs, {
    objects: Math.max(1, objects),
    arrivalRate: Math.max(0.001, apply?.achievedRate ?? lambda),
    callsPerReconcile: Math.round(calls),
    reconcilesPerObject: Math.round(reconcilesPerObject),
    workSigma: 0,
    apiserver: null,
    backgroundRps: 0,
    offsetSeconds: 0,
    replications: 1,
    seed: MODEL_SEED,
    workers: settings.workers,
    ...limiterOf(settings.qps, settings.burst),
  });
  // the operator's own timing of its calls is a mean (the API server's section keeps medians); with a
  // client limit it includes the limiter's waits, so the server's view is used then
  const apiCallMean = signals.vitistack?.apiCallMean ?? null;
  const callLatencyMs = apiCallMean !== null && settings.qps <= 0 ? apiCallMean * 1000 : (serverCallMs ?? 0);
  return {
    signals,
    controller,
    target,
    settings,
    currentSource,
    objects,
    reconcilesPerObject,
    lambda,
    limiters,
    work,
    callLatencyMs,
    curve: run.apiserver ? fitLatencyCurve(run.apiserver, callLatencyMs) : null,
    pressure: apiserverPressure(run.apiserver, signals.process.rest429PerSecond),
  };
}

/** The model of `model`'s run asked about `settings`: calibrated on the run, then run with them. */
export function predictWith(options: TuneOptions, model: RunModel, settings: EffectiveSettings) {
  const apply = options.run.apply;
  if (!apply) return { prediction: null, notes: [], settings };
  return predict({
    run: options.run,
    apply,
    signals: model.signals,
    controller: model.controller,
    current: model.settings,
    recommended: settings,
    limiters: model.limiters,
    workSeconds: model.work.seconds,
    workMethod: model.work.method,
    reconcilesPerObject: Math.round(model.reconcilesPerObject),
    curve: model.curve,
    // slow requests nothing ties to the load say nothing of where its latency bends
    apiserverSaturated: model.pressure.saturated && !model.pressure.latencyOnly,
    callLatencyMs: model.callLatencyMs,
    peakRate: options.peakRate,
  });
}

/**
 * The model fitted on `options.run`, predicting time to ready with `settings` rather than with what
 * it would recommend: how `tune verify` re-anchors a recommendation on a baseline it re-measured.
 * No prediction, with the reasons in `refused`, when the model makes none or the settings are outside
 * what the run saw.
 */
export function predictFor(
  options: TuneOptions,
  settings: EffectiveSettings,
): {
  predicted: PercentilesMs | null;
  /** the model's answer for the run's own settings (what `fit` compares with the run) */
  atRun: PercentilesMs | null;
  fit: Prediction['fit'] | null;
  refused: string[];
} {
  const predicted = predictWith(options, modelOf(options), settings);
  const prediction = predicted.prediction;
  if (!prediction)
    return {
      predicted: null,
      atRun: null,
      fit: null,
      refused: [`run ${options.run.runId} has no reconcile time or time to ready to model`],
    };
  const atRun = prediction.current
    ? { p50Ms: prediction.current.p50Ms, p90Ms: prediction.current.p90Ms, p99Ms: prediction.current.p99Ms }
    : null;
  // a step or a hold answers for other settings than these: beyond what the run saw, so no answer
  const beyond = [...(prediction.step?.beyond ?? []), ...(prediction.held ? [prediction.held.why] : [])];
  if (prediction.refused.length > 0 || beyond.length > 0 || !prediction.recommended)
    return { predicted: null, atRun, fit: prediction.fit, refused: [...prediction.refused, ...beyond] };
  const { p50Ms, p90Ms, p99Ms } = prediction.recommended;
  return { predicted: { p50Ms, p90Ms, p99Ms }, atRun, fit: prediction.fit, refused: [] };
}

/**
 * The settings the controller ran with. When no config says how many workers run, the controller's
 * own report does (controller_runtime_max_concurrent_reconciles): a measurement, where the alternative
 * is assuming controller-runtime's default of 1 and modelling a run it cannot reproduce. The config
 * itself is not changed: a knob it leaves unset stays unset unless a rule changes it.
 */
function withReportedWorkers(
  options: Pick<TuneOptions, 'current' | 'currentSource'>,
  reported: number | null,
): { settings: EffectiveSettings; currentSource: string } {
  const { current, currentSource } = options;
  const settings = effective(current);
  const set = current?.controller?.maxConcurrentReconciles ?? current?.controller?.workers;
  if (set !== undefined || reported === null || reported < 1) return { settings, currentSource };
  return {
    settings: { ...settings, workers: reported },
    currentSource: current
      ? `${currentSource}, with ${reported} worker(s) as the controller reports them (controller_runtime_max_concurrent_reconciles)`
      : `unknown: ${reported} worker(s) as the controller reports them (controller_runtime_max_concurrent_reconciles), no client QPS limit assumed`,
  };
}

/**
 * The work in a reconcile, without client-side rate-limit waits. While the limiter binds, S̄ = W/X
 * whatever the work is, so means alone cannot tell them apart: the VitiStack guide's
 * vitistack_api_call_duration_seconds can (mean call time minus the time of calls that did not wait).
 * Otherwise the model is calibrated to reproduce S̄; when the client runs at its limit, or the limiter
 * alone explains S̄, the work is hidden and S̄ is used (an upper bound), with a note.
 */
function estimateWork(
  controller: ControllerSignals,
  signals: Signals,
  atLimit: boolean,
  serverCallMs: number | null,
  settings: Omit<ModelInput, 'workSeconds'>,
): { seconds: number; method: string; note?: string; hidden?: boolean } {
  const measured = controller.serviceMean;
  if (measured <= 0) return { seconds: 0, method: 'no reconciles measured' };
  const v = signals.vitistack;
  // far below its rate a client limiter never makes calls wait: slow calls are then the server's latency
  if (settings.qps <= 0) return { seconds: measured, method: 'S̄ as measured (no client-side limit)' };
  const nearLimit = signals.process.restRequestsPerSecond >= 0.5 * settings.qps;
  if (!nearLimit)
    return { seconds: measured, method: 'S̄ as measured (the client runs far below its QPS limit)' };
  if (v && v.apiCallMean !== null && v.apiCallP10 !== null && v.apiCalls > 0 && controller.reconciles > 0) {
    // every REST request passes the limiter, the ones the operator's histogram does not time too
    const perReconcile = Math.max(
      v.apiCalls / controller.reconciles,
      signals.process.restRequestsPerReconcile ?? 0,
    );
    // the fastest tenth of the calls did not wait, unless nearly every call waited: then the API
    // server's own timing of the controller's calls is the call without the wait
    const fromServer = serverCallMs !== null && serverCallMs / 1000 < v.apiCallP10;
    const unthrottled = fromServer ? serverCallMs / 1000 : v.apiCallP10;
    const wait = perReconcile * Math.max(0, v.apiCallMean - unthrottled);
    return {
      seconds: Math.max(0.001, measured - wait),
      method: `S̄ − ${perReconcile.toFixed(1)} REST calls × (mean ${Math.round(v.apiCallMean * 1000)}ms − unthrottled ${Math.round(unthrottled * 1000)}ms), from vitistack_api_call_duration_seconds${fromServer ? " and the API server's median for the controller's calls" : ''}`,
    };
  }
  // a client running at its QPS limit makes S̄ = W/X for any work time: not identifiable
  const calibrated = atLimit ? 0 : calibrateService(measured, settings);
  if (calibrated < 0.05 * measured) {
    return {
      seconds: measured,
      hidden: true,
      method: 'S̄ as measured (pessimistic)',
      note: 'the client rate limiter alone explains the reconcile time, so the work per reconcile is hidden: re-run after this change and tune again',
    };
  }
  return { seconds: calibrated, method: 'calibrated so the current settings reproduce the measured S̄' };
}
