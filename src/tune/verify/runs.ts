import { inputError } from '../../errors.js';
import type { LoadMode } from '../../load/apply-engine.js';
import { defaultBurst } from '../../load/rate-limiter.js';
import type { RunResult } from '../../report/run-result.js';
import type { EffectiveSettings, PercentilesMs, TuneResult } from '../../report/sections/tune.js';
import { median } from '../fit.js';
import { predictFor, type TuneOptions } from '../run-model.js';
import { predictedPercentiles } from './predicted.js';
import type { PercentileComparison, RunSummary, VerifyResult } from './result.js';

/**
 * What verify compares, from the runs themselves: the load a run recorded, a run's summary, and the
 * prediction against what was measured. Pure.
 */

/** The load the run recorded, as the apply engine takes it. */
export function loadOf(run: RunResult): LoadMode {
  const apply = run.apply;
  if (!apply) throw inputError(`run ${run.runId} has no apply section: there is no load to re-run`);
  if (apply.mode === 'open') {
    const rate = apply.requestedRate ?? apply.achievedRate;
    return { mode: 'open', rate, burst: apply.burst ?? defaultBurst(rate) };
  }
  return { mode: 'closed', concurrency: apply.concurrency ?? 32 };
}

function describeLoad(load: LoadMode): string {
  return load.mode === 'open' ? `${load.rate}/s (burst ${load.burst})` : `${load.concurrency} in flight`;
}

/** Refuse runs whose load one process cannot repeat as recorded. */
export function checkRerunnable(run: RunResult): void {
  if (run.shard || run.mergedFrom)
    throw inputError(`run ${run.runId} is ${run.shard ? 'one shard' : 'a merge of shards'} of a split run`, {
      hint: 'verify re-runs the load in one process: record the run unsharded (≤ a few thousand objects)',
    });
  loadOf(run);
  if ((run.apply?.counts.ready ?? 0) === 0)
    throw inputError(`run ${run.runId} made no object ready: there is no time-to-ready to compare with`);
}

export function summarizeRun(run: RunResult, hash: string | null): RunSummary {
  const apply = run.apply!;
  const c = apply.counts;
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    scenario: run.scenario.name,
    objects: run.scenario.objects,
    load: describeLoad(loadOf(run)),
    counts: {
      ready: c.ready,
      failed: c.failed,
      timedOut: c.timedOut,
      unfinished: c.interrupted + c.notStarted,
    },
    interrupted: run.interrupted,
    timeToReady: apply.latency.timeToReady,
    configHash: hash,
  };
}

/**
 * Predicted vs measured per percentile; error % relative to the prediction. Over several rounds, the
 * median of the baselines' and of the re-runs' percentiles. Pure.
 */
export function comparePercentiles(
  tuned: TuneResult,
  befores: RunSummary[],
  afters: RunSummary[],
  reanchored: PercentilesMs[] = [],
): PercentileComparison[] {
  const predicted = predictedPercentiles(tuned);
  const measured = afters.filter((after) => after.timeToReady.count > 0);
  return (['p50', 'p90', 'p99'] as const).map((percentile) => {
    const key = `${percentile}Ms` as const;
    const measuredMs =
      measured.length > 0 ? median(measured.map((after) => after.timeToReady[percentile])) : null;
    const predictedMs = predicted ? round1(predicted[key]) : null;
    const reanchoredMs =
      reanchored.length > 0 ? round1(median(reanchored.map((prediction) => prediction[key]))) : null;
    return {
      percentile,
      beforeMs: median(befores.map((before) => before.timeToReady[percentile])),
      predictedMs,
      measuredMs,
      errorPct: errorOf(predictedMs, measuredMs),
      reanchoredMs,
      reanchoredErrorPct: errorOf(reanchoredMs, measuredMs),
    };
  });
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** (measured − predicted) ÷ predicted, %, one decimal; null without both. */
function errorOf(predictedMs: number | null, measuredMs: number | null): number | null {
  return predictedMs !== null && measuredMs !== null && predictedMs > 0
    ? round1(((measuredMs - predictedMs) / predictedMs) * 100)
    : null;
}

/** A model that misses its own run by more than this factor describes another system: its ratios are not evidence. */
export const REANCHOR_FIT_LIMIT = 2;

/**
 * Each re-measured baseline's percentiles times the change the model predicts for the applied
 * settings (its answer for them ÷ its answer for the baseline's own), the model fitted on that
 * baseline: the cluster as it was minutes before the re-run, not when the recorded run ran, and the
 * model's miss on the baseline itself cancelled. Settings that add no load are predicted as the
 * baseline. A baseline whose model misses it by more than 2× gives no prediction, with the reason.
 */
export function reanchorOn(
  options: TuneOptions,
  baselines: RunResult[],
  applied: EffectiveSettings,
): { predictions: PercentilesMs[]; section: NonNullable<VerifyResult['reanchored']> } {
  const predictions: PercentilesMs[] = [];
  const fits: NonNullable<VerifyResult['reanchored']>['fits'] = [];
  const refused = new Set<string>();
  for (const baseline of baselines) {
    const answer = predictFor({ ...options, run: baseline }, applied);
    fits.push({ runId: baseline.runId, fit: answer.fit });
    for (const reason of answer.refused) refused.add(reason);
    const { predicted, atRun, fit } = answer;
    if (!predicted || !atRun || !fit) continue;
    const worst = Math.max(fit.p50, 1 / fit.p50, fit.p99, 1 / fit.p99);
    if (!(worst <= REANCHOR_FIT_LIMIT)) {
      refused.add(
        `the model fitted on baseline ${baseline.runId} misses it by more than ${REANCHOR_FIT_LIMIT}× (predicted ÷ measured: p50 ${fit.p50}, p99 ${fit.p99}): its predicted change is not evidence`,
      );
      continue;
    }
    const measured = summarizeRun(baseline, null).timeToReady;
    const scaled = (key: keyof PercentilesMs, percentile: 'p50' | 'p90' | 'p99') =>
      atRun[key] > 0 ? measured[percentile] * (predicted[key] / atRun[key]) : measured[percentile];
    predictions.push({
      p50Ms: scaled('p50Ms', 'p50'),
      p90Ms: scaled('p90Ms', 'p90'),
      p99Ms: scaled('p99Ms', 'p99'),
    });
  }
  return { predictions, section: { fits, refused: [...refused] } };
}

/**
 * The recommendation raises none of workers, QPS and burst: the tuner held them (the API server has no
 * room for more) or the diagnosis kept or cut them (the bottleneck is the API server, CPU, memory, a
 * webhook; idle workers).
 * What it changes is sizing and advice, which promise safety, not speed.
 */
export function addsNoLoad(tuned: TuneResult): boolean {
  if (tuned.prediction?.held) return true;
  const { current, recommended } = tuned.settings;
  // QPS ≤ 0 is no client-side limit, under which burst means nothing
  const limit = (qps: number) => (qps > 0 ? qps : Number.POSITIVE_INFINITY);
  const burstRaised = limit(current.qps) < Number.POSITIVE_INFINITY && recommended.burst > current.burst;
  return (
    recommended.workers <= current.workers && limit(recommended.qps) <= limit(current.qps) && !burstRaised
  );
}

/** The tuner's predicted p99 change, current → recommended settings, as % of current; null without both. */
export function predictedImprovement(tuned: TuneResult): number | null {
  const current = tuned.prediction?.current?.p99Ms;
  const recommended = tuned.prediction?.recommended?.p99Ms;
  if (current === undefined || recommended === undefined || current <= 0) return null;
  return ((current - recommended) / current) * 100;
}
