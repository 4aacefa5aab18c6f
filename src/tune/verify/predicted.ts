import type { PercentilesMs, TuneResult } from '../../report/sections/tune.js';

/** Predicted time-to-ready percentiles for the recommended settings, in milliseconds. */
export type PredictedPercentiles = PercentilesMs;

/**
 * The one place verify reads the tuner's prediction. Null when the tuner made none (no apply section,
 * no reconcile time) or refused to predict outside what the run saw.
 */
export function predictedPercentiles(tune: TuneResult): PredictedPercentiles | null {
  const recommended = tune.prediction?.recommended;
  if (!recommended) return null;
  return { p50Ms: recommended.p50Ms, p90Ms: recommended.p90Ms, p99Ms: recommended.p99Ms };
}
