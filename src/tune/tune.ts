import type { PerformanceConfig } from '../config/performance-schema.js';
import type { Recommendation, TuneResult } from '../report/sections/tune.js';
import { webhookPressure } from './apiserver-load.js';
import { holdLoad, setKnob, takeStep } from './config-edits.js';
import { cpuHeldDiagnosis, diagnose } from './diagnose.js';
import { effective } from './performance-config.js';
import { measuredPercentiles } from './prediction.js';
import { gcRules, resourceRules } from './resource-rules.js';
import type { RuleContext } from './rule-context.js';
import { cachingRule, qpsRule, requeueRule, timeoutRule, workersRule } from './rules.js';
import { modelOf, predictWith, type TuneOptions } from './run-model.js';
import { sizeFor } from './sizing.js';

/** From a run's measurements: a diagnosis, a recommendation per knob with evidence, and a prediction. */
export function tune(options: TuneOptions): TuneResult {
  const { run, current } = options;
  const model = modelOf(options);
  const { signals, controller, target, settings, currentSource, objects, lambda, pressure } = model;
  const apply = run.apply;
  const workSeconds = model.work.seconds;
  const notes: string[] = [];
  if (model.work.note) notes.push(model.work.note);
  const gogc = current?.gc?.gogc ?? signals.process.gogc ?? 100;
  const sizing = sizeFor({
    run,
    target,
    objects: options.objects,
    peakRate: options.peakRate ?? apply?.achievedRate ?? controller.arrivalRate,
    gogc,
  });
  if (sizing?.extrapolated) notes.push(`memory is ${sizing.extrapolated}`);
  const ctx: RuleContext = {
    controller,
    process: signals.process,
    vitistack: signals.vitistack,
    current,
    settings,
    lambda,
    workSeconds,
    workHidden: model.work.hidden === true,
    beta: options.strategy === 'strict' ? 2 : 1,
    maxWorkers: options.maxWorkers ?? 64,
    objects,
    windowSeconds: signals.windowSeconds,
    apiserver: pressure,
    webhook: webhookPressure(run.apiserver, run.apply?.latency.timeToReady.mean, run.apply?.counts.total),
    sizing,
    objectsToSize: options.objects?.count,
  };
  const diagnosis = diagnose(ctx);
  const config: PerformanceConfig = structuredClone(current ?? {});
  const base = {
    runId: run.runId,
    target: signals.target,
    controller: controller.controller,
    windowSeconds: signals.windowSeconds,
    currentSource,
    diagnosis,
    measured: measuredPercentiles(apply),
    sizing,
    notes,
  };
  if (diagnosis.bottleneck === 'leak') {
    return {
      ...base,
      settings: { current: settings, recommended: settings },
      refused: diagnosis.message,
      recommendations: [],
      config,
      prediction: null,
    };
  }
  const workers = workersRule(ctx, diagnosis.bottleneck);
  const newWorkers = Number(workers.recommended ?? settings.workers);
  const [qps, burst] = qpsRule(ctx, newWorkers, diagnosis.bottleneck) as [Recommendation, Recommendation];
  const resources = resourceRules(ctx);
  const memoryLimit =
    resources.find((r) => r.knob === 'resourceOptimization.memory.limit')?.recommended ?? null;
  const recommendations = [
    workers,
    qps,
    burst,
    requeueRule(ctx, newWorkers),
    timeoutRule(ctx),
    cachingRule(ctx),
    ...resources,
    ...gcRules(ctx, typeof memoryLimit === 'string' ? memoryLimit : null),
    {
      knob: 'controller.batchSize',
      current: current?.controller?.batchSize ?? null,
      recommended: current?.controller?.batchSize ?? null,
      changed: false,
      why: 'unchanged: fitting S̄(B) = s₀ + s₁·B needs runs at ≥ 3 batch sizes',
      evidence: {},
    },
  ];
  for (const rec of recommendations) {
    if (rec.changed && rec.recommended !== null) setKnob(config, rec.knob, rec.recommended);
  }
  if (workers.changed) setKnob(config, 'controller.workers', newWorkers);
  const formulaSettings = effective(config);

  const predicted = predictWith(options, model, formulaSettings);
  notes.push(...predicted.notes);
  const prediction = predicted.prediction;
  if (prediction?.step) takeStep(recommendations, config, predicted.settings);
  if (prediction?.held) holdLoad(recommendations, config, current, settings, prediction.held);
  const recommendedSettings = effective(config);
  const recommendedP99 = prediction?.recommended?.p99Ms;
  if (
    options.targetP99ReadyMs !== undefined &&
    recommendedP99 !== undefined &&
    recommendedP99 > options.targetP99ReadyMs
  ) {
    notes.push(
      `the predicted p99 (${(recommendedP99 / 1000).toFixed(2)}s) still misses the target ${options.targetP99ReadyMs / 1000}s: raise --max-workers or look at the work time (${Math.round(workSeconds * 1000)}ms per reconcile)`,
    );
  }
  return {
    ...base,
    diagnosis: prediction?.held ? cpuHeldDiagnosis(diagnosis, prediction.held.why, pressure) : diagnosis,
    settings: { current: settings, recommended: recommendedSettings },
    recommendations,
    config,
    prediction,
  };
}
