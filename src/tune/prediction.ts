import type { ApplyResult, RunResult } from '../report/run-result.js';
import type { ControllerSignals, Signals } from '../report/sections/signals.js';
import type {
  EffectiveSettings,
  LatencyCurve,
  ModelOutput,
  PercentilesMs,
  Prediction,
  Validity,
} from '../report/sections/tune.js';
import { maxOf, minOf } from '../util/extremes.js';
import { CPU_BOUND_SHARE } from './apiserver-load.js';
import { calibrateToMeasured, lognormalSigma, type ModelInput, simulate } from './predict.js';

/**
 * The model applied to a run: calibrated so that it reproduces the run's own time-to-ready, then run
 * with the recommended settings, inside the range of what the run saw; outside it, a refusal with the
 * reason.
 */

export interface PredictionInput {
  run: RunResult;
  apply: ApplyResult;
  signals: Signals;
  controller: ControllerSignals;
  current: EffectiveSettings;
  recommended: EffectiveSettings;
  /** REST clients sharing the work (the limiter is per object type) */
  limiters: number;
  /** the controller's work per reconcile with limiter waits removed (API latency still in), s */
  workSeconds: number;
  workMethod: string;
  reconcilesPerObject: number;
  curve: LatencyCurve | null;
  /** a saturated server's latency was not seen below its knee: no reach beyond the rates seen */
  apiserverSaturated: boolean;
  /** the controller's mean API call latency at the run's rate, ms */
  callLatencyMs: number;
  peakRate: number | undefined;
}

export const MODEL_SEED = 14;
/**
 * Beyond the highest API request rate seen, a flat latency curve is trusted this far, a rising one
 * less, and one fitted on too few scrape intervals to show its shape as little as a rising one.
 */
const FLAT_CURVE_REACH = 2;
const RISING_CURVE_REACH = 1.2;
const SATURATED_REACH = 1.05;
/** Scrape intervals a latency curve needs before its flatness is evidence rather than too few points. */
const MIN_SHAPE_POINTS = 5;
/** Workers beyond this multiple of those seen bring contention (CPU, locks) the run never showed. */
const WORKER_REACH = 4;

const r1 = (value: number) => Math.round(value * 10) / 10;
const r3 = (value: number) => Math.round(value * 1000) / 1000;

export function measuredPercentiles(apply: ApplyResult | undefined): PercentilesMs | null {
  const ttr = apply?.latency.timeToReady;
  return ttr && ttr.count > 0 ? { p50Ms: ttr.p50, p90Ms: ttr.p90, p99Ms: ttr.p99 } : null;
}

function validityOf(input: PredictionInput): Validity {
  const rates = [
    input.apply.achievedRate,
    ...(input.run.stress?.steps ?? []).map((step) => step.achievedRate),
  ].filter((rate) => rate > 0);
  if (rates.length === 0) rates.push(0);
  const rps = (input.run.apiserver?.series ?? [])
    .map((point) => point.requestsPerSecond)
    .filter((v) => v > 0);
  const workers = [
    input.current.workers,
    ...(input.controller.workers === null ? [] : [input.controller.workers]),
  ];
  const apiserver = input.run.apiserver;
  const { cores, gomaxprocs } = apiserver?.cpu ?? { cores: null, gomaxprocs: null };
  const meanRps = apiserver && apiserver.windowSeconds > 0 ? apiserver.requests / apiserver.windowSeconds : 0;
  return {
    objects: input.apply.counts.created,
    arrivalRate: { min: r1(minOf(rates)), max: r1(maxOf(rates)) },
    apiserverRps: rps.length > 0 ? { min: r1(minOf(rps)), max: r1(maxOf(rps)) } : { min: 0, max: 0 },
    workers: [...new Set(workers)].sort((a, b) => a - b),
    apiserverCpu:
      cores !== null && gomaxprocs && meanRps > 0
        ? { cores: r3(cores), gomaxprocs, requestsPerSecond: r1(meanRps) }
        : null,
  };
}

/** Enough intervals for a shape (a null correlation over them is a latency that never moved: flat). */
const curveShapeKnown = (curve: LatencyCurve) => curve.points >= MIN_SHAPE_POINTS;

const curveIsFlat = (curve: LatencyCurve, maxRps: number) =>
  (curve.correlation ?? 0) < 0.5 || curve.msPerRps * maxRps < curve.baseMs;

/** How far beyond the highest rate seen the latency curve is trusted, and why, for the reason given. */
function curveReach(curve: LatencyCurve | null, saturated: boolean, maxRps: number) {
  if (saturated) return { reach: SATURATED_REACH, why: 'the server was saturated' };
  if (!curve) return { reach: FLAT_CURVE_REACH, why: 'no latency curve: calls take their measured time' };
  if (!curveShapeKnown(curve))
    return {
      reach: RISING_CURVE_REACH,
      why: `${curve.points} scrape interval(s) cannot show the latency curve's shape (a longer load or a shorter --metrics-interval gives more)`,
    };
  return curveIsFlat(curve, maxRps)
    ? { reach: FLAT_CURVE_REACH, why: 'the latency curve is flat' }
    : { reach: RISING_CURVE_REACH, why: 'the latency curve rises' };
}

/**
 * Why the recommended settings are outside what the run saw (empty when inside). `runPeakRps`: the
 * request rate the model of the run itself offered at its busiest second, when that model reproduces
 * the run; the scrapes average over their intervals, so a model's 1 s peak is compared with both.
 */
function outsideValidity(
  validity: Validity,
  settings: EffectiveSettings,
  output: ModelOutput,
  curve: LatencyCurve | null,
  saturated: boolean,
  runPeakRps: number,
): string[] {
  const reasons: string[] = [];
  const mostWorkers = maxOf(validity.workers);
  if (settings.workers > WORKER_REACH * mostWorkers)
    reasons.push(
      `${settings.workers} workers is over ${WORKER_REACH}× the ${mostWorkers} this run saw: contention the run never showed would decide the result; step up and re-run`,
    );
  const maxRps = Math.max(validity.apiserverRps.max, runPeakRps);
  const { reach, why } = curveReach(curve, saturated, maxRps);
  if (maxRps > 0 && output.apiserverPeakRps > reach * maxRps)
    reasons.push(
      `the recommended settings would offer the API server ${Math.round(output.apiserverPeakRps)} requests/s at their busiest second; this run saw at most ${Math.round(maxRps)} (${why}: trusted to ${reach}× that): re-run at a higher rate, or with a stress profile, to see the server there`,
    );
  const cpu = cpuBeyond(validity, output, maxRps);
  if (cpu)
    reasons.push(
      `at ${cpu.rps} requests/s the API server would need about ${cpu.needCores} of the ${cpu.gomaxprocs} cores it may use (it used ${cpu.cores} at ${cpu.rpsSeen}/s): CPU contention this run never showed would decide the result`,
    );
  return reasons;
}

/**
 * The server's CPU grows with the requests it serves; past the share where it counts as CPU-bound,
 * every request waits for a core, which a latency curve fitted below that share does not show. Set
 * when `output` offers it more than the run did and that would take it there.
 */
function cpuBeyond(validity: Validity, output: ModelOutput, maxRps: number) {
  const cpu = validity.apiserverCpu;
  if (!cpu || output.apiserverPeakRps <= maxRps) return null;
  const needCores = (cpu.cores * output.apiserverPeakRps) / cpu.requestsPerSecond;
  if (needCores < CPU_BOUND_SHARE * cpu.gomaxprocs) return null;
  return {
    rps: Math.round(output.apiserverPeakRps),
    needCores: r1(needCores),
    gomaxprocs: cpu.gomaxprocs,
    cores: r1(cpu.cores),
    rpsSeen: Math.round(cpu.requestsPerSecond),
  };
}

/**
 * The least raise of the knobs that add load (one more worker, one more QPS and burst), the others
 * as they are; null when the target raises none.
 */
export function smallestRaise(
  current: EffectiveSettings,
  target: EffectiveSettings,
): EffectiveSettings | null {
  const raised = (key: 'workers' | 'qps' | 'burst') =>
    current[key] > 0 && (target[key] > current[key] || (key === 'qps' && target.qps <= 0));
  if (!raised('workers') && !raised('qps') && !raised('burst')) return null;
  return {
    ...current,
    workers: raised('workers') ? current.workers + 1 : current.workers,
    qps: raised('qps') ? current.qps + 1 : current.qps,
    burst: raised('burst') ? current.burst + 1 : current.burst,
  };
}

export function predict(input: PredictionInput): {
  prediction: Prediction | null;
  notes: string[];
  /** the settings `prediction.recommended` is for: the recommended ones, or a step toward them */
  settings: EffectiveSettings;
} {
  const { apply, signals, controller } = input;
  const measured = measuredPercentiles(apply);
  if (input.workSeconds <= 0 || !measured)
    return { prediction: null, notes: [], settings: input.recommended };
  const notes: string[] = [];
  const calls = Math.round(signals.process.restRequestsPerReconcile ?? 0);
  const apiserver = input.run.apiserver;
  const controllerRps = signals.process.restRequestsPerSecond;
  const backgroundRps =
    apiserver && apiserver.windowSeconds > 0
      ? Math.max(0, apiserver.requests / apiserver.windowSeconds - controllerRps)
      : 0;
  // the work without the time its calls spent at the API server: that part follows the server's load
  const ownWork = Math.max(0.001, input.workSeconds - (calls * input.callLatencyMs) / 1000);
  const workSigma = lognormalSigma(controller.serviceMean, controller.serviceP95);
  const objects = Math.max(1, apply.counts.created);
  const replications = Math.min(20, Math.max(3, Math.ceil(2000 / objects)));
  const limiterOf = (settings: EffectiveSettings) => ({
    qps: settings.qps > 0 ? settings.qps * input.limiters : settings.qps,
    burst: Math.ceil(settings.burst * input.limiters),
  });
  const base: ModelInput = {
    objects,
    // objects reach the controller as their creates complete: at the rate the cluster kept up with
    arrivalRate: Math.max(0.001, apply.completedRate ?? apply.achievedRate),
    workers: input.current.workers,
    reconcilesPerObject: input.reconcilesPerObject,
    workSeconds: ownWork,
    workSigma,
    callsPerReconcile: calls,
    ...limiterOf(input.current),
    apiserver: input.curve,
    backgroundRps,
    offsetSeconds: 0,
    replications,
    seed: MODEL_SEED,
  };
  const createAndWatch = (apply.latency.create.p50 + apply.latency.watchLag.p50) / 1000;
  const calibration = calibrateToMeasured(base, measured, createAndWatch);
  const calibrated: ModelInput = {
    ...base,
    workSeconds: ownWork * calibration.workScale,
    offsetSeconds: calibration.offsetSeconds,
  };
  const validity = validityOf(input);
  const refused: string[] = [];
  const rate = input.peakRate ?? base.arrivalRate;
  if (input.peakRate !== undefined && input.peakRate > 1.1 * validity.arrivalRate.max) {
    refused.push(
      `--peak-rate ${input.peakRate}/s is beyond the arrival rates this run saw (${validity.arrivalRate.min}–${validity.arrivalRate.max}/s): record a run, or a stress ladder, at that rate`,
    );
  }
  const at = (settings: EffectiveSettings) =>
    simulate({
      ...calibrated,
      arrivalRate: Math.max(0.001, rate),
      workers: settings.workers,
      ...limiterOf(settings),
    });
  const current =
    refused.length > 0 ? null : input.peakRate === undefined ? calibration.output : at(input.current);
  const fit = {
    p50: Math.round((calibration.output.p50Ms / measured.p50Ms) * 1000) / 1000,
    p99: Math.round((calibration.output.p99Ms / measured.p99Ms) * 1000) / 1000,
  };
  const reproduces = Math.abs(fit.p50 - 1) <= 0.15 && Math.abs(fit.p99 - 1) <= 0.15;
  let recommended: ModelOutput | null = null;
  let step: Prediction['step'] = null;
  let held: Prediction['held'] = null;
  let settings = input.recommended;
  if (current && refused.length === 0) {
    const runPeakRps = reproduces ? calibration.output.apiserverPeakRps : 0;
    const evaluate = (candidate: EffectiveSettings) => {
      const output = at(candidate);
      const outside = outsideValidity(
        validity,
        candidate,
        output,
        input.curve,
        input.apiserverSaturated,
        runPeakRps,
      );
      return { output, outside };
    };
    const full = evaluate(input.recommended);
    if (full.outside.length === 0) recommended = full.output;
    else {
      const found = largestStep(evaluate, input.current, input.recommended);
      if (found && found.output.p99Ms < current.p99Ms) {
        recommended = found.output;
        settings = found.settings;
        step = {
          target: input.recommended,
          fraction: r3(stepFraction(input.current, input.recommended, found.settings)),
          beyond: full.outside,
        };
      } else {
        held = cpuHeld(input.current, input.recommended, (raise) =>
          cpuBeyond(validity, at(raise), Math.max(validity.apiserverRps.max, runPeakRps)),
        );
        // held: the load-adding knobs stay, so the recommendation offers the load the run did
        if (held) recommended = current;
        else refused.push(...full.outside);
      }
    }
  }
  if (!reproduces)
    notes.push(
      `the model does not reproduce this run within 15% (predicted ÷ measured: p50 ${fit.p50}, p99 ${fit.p99}): read its predictions as a direction`,
    );
  if (calibration.workScale > 2 || calibration.workScale < 0.5)
    notes.push(
      `to reproduce the run the model needed ${r1(calibration.workScale)}× the measured work per reconcile: time the controller's metrics do not show (a webhook, the informer, the load generator) is in the spread`,
    );
  const curveText = input.curve
    ? `the API server at ${r1(input.curve.baseMs)} ms + ${input.curve.msPerRps.toFixed(3)} ms per request/s offered (fitted on ${input.curve.points} scrape intervals, r ${input.curve.correlation ?? '-'})`
    : 'no API server latency curve (no apiserver series in the run)';
  return {
    prediction: {
      model: `seeded Monte-Carlo (${replications}×) of ${objects} objects at ${r1(rate)}/s through W workers, ${input.reconcilesPerObject} reconcile(s) per object, ${calls} API calls per reconcile through a QPS/burst token bucket${input.limiters > 1 ? ` (${input.limiters.toFixed(2)} limiters' worth)` : ''} and ${curveText}; own work ${Math.round(calibrated.workSeconds * 1000)}ms per reconcile, lognormal σ ${workSigma.toFixed(2)} (${input.workMethod}, ×${calibration.workScale.toFixed(2)} to reproduce the run's spread), plus ${Math.round(calibration.offsetSeconds * 1000)}ms outside the controller`,
      workSeconds: calibrated.workSeconds,
      calibration: {
        workScale: Math.round(calibration.workScale * 1000) / 1000,
        offsetMs: Math.round(calibration.offsetSeconds * 1000),
        workSigma: Math.round(workSigma * 1000) / 1000,
        apiserver: input.curve,
        replications,
        seed: MODEL_SEED,
      },
      validity,
      current,
      recommended,
      refused,
      fit,
      step,
      held,
    },
    notes,
    settings,
  };
}

/**
 * No step was predictable, and even the least raise toward `target` would take the API server past
 * the share of its cores where it counts as CPU-bound: the server, not the controller, has no room.
 */
function cpuHeld(
  current: EffectiveSettings,
  target: EffectiveSettings,
  cpuAt: (raise: EffectiveSettings) => ReturnType<typeof cpuBeyond>,
): Prediction['held'] {
  const raise = smallestRaise(current, target);
  const cpu = raise && cpuAt(raise);
  if (!raise || !cpu) return null;
  const what = [
    raise.workers > current.workers ? `${raise.workers} workers` : null,
    raise.qps > current.qps ? `QPS ${raise.qps}` : null,
    raise.burst > current.burst ? `burst ${raise.burst}` : null,
  ].filter((part) => part !== null);
  return {
    settings: raise,
    why: `even ${what.join(', ')} would offer the API server ${cpu.rps} requests/s at the busiest second, which would need about ${cpu.needCores} of the ${cpu.gomaxprocs} cores it may use (it used ${cpu.cores} at ${cpu.rpsSeen}/s; past ${Math.round(CPU_BOUND_SHARE * 100)}% every request waits for a core)`,
  };
}

/**
 * The settings `fraction` of the way from `current` to `target`: each raised knob moves that fraction
 * of the way as a ratio (workers 1 → 32 at ½ is 5), rounded down; knobs lowered, newly limited or
 * lifted to no limit take the target as they are.
 */
export function stepToward(
  current: EffectiveSettings,
  target: EffectiveSettings,
  fraction: number,
): EffectiveSettings {
  const toward = (from: number, to: number) =>
    from > 0 && to > from ? Math.max(from, Math.floor(from * (to / from) ** fraction)) : to;
  return {
    ...target,
    workers: toward(current.workers, target.workers),
    qps: toward(current.qps, target.qps),
    burst: toward(current.burst, target.burst),
  };
}

/** How far `step` went from `current` toward `target`, as a ratio: the least of the raised knobs. */
export function stepFraction(
  current: EffectiveSettings,
  target: EffectiveSettings,
  step: EffectiveSettings,
): number {
  const fractions = (['workers', 'qps', 'burst'] as const)
    .filter((key) => current[key] > 0 && target[key] > current[key])
    .map((key) => Math.log(step[key] / current[key]) / Math.log(target[key] / current[key]));
  return fractions.length > 0 ? minOf(fractions) : 1;
}

const sameLoad = (a: EffectiveSettings, b: EffectiveSettings) =>
  a.workers === b.workers && a.qps === b.qps && a.burst === b.burst;

/**
 * The largest step toward `target` whose prediction stays inside what the run saw (bisection on the
 * fraction: a larger step offers the API server more and needs more workers); null when even the
 * smallest step that changes a knob is outside.
 */
export function largestStep(
  evaluate: (settings: EffectiveSettings) => { output: ModelOutput; outside: string[] },
  current: EffectiveSettings,
  target: EffectiveSettings,
): { settings: EffectiveSettings; output: ModelOutput } | null {
  let inside = 0;
  let outside = 1;
  let best: { settings: EffectiveSettings; output: ModelOutput } | null = null;
  for (let i = 0; i < 12; i++) {
    const fraction = (inside + outside) / 2;
    const settings = stepToward(current, target, fraction);
    const evaluated = evaluate(settings);
    if (evaluated.outside.length > 0) outside = fraction;
    else {
      inside = fraction;
      if (!sameLoad(settings, current)) best = { settings, output: evaluated.output };
    }
  }
  return best;
}
