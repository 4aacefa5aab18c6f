import type { TuneResult } from '../../report/sections/tune.js';

/** Predicted time-to-ready percentiles for the recommended settings, in milliseconds. */
export interface PredictedPercentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/**
 * The one place verify reads the tuner's prediction. Today TuneResult carries seconds
 * (`prediction.recommended.{p50,p90,p99}`); when it carries `{p50Ms,p90Ms,p99Ms}` this becomes a
 * one-line change. Null when the tuner made no prediction (no apply section, no reconcile time).
 */
export function predictedPercentiles(tune: TuneResult): PredictedPercentiles | null {
  const recommended = tune.prediction?.recommended;
  if (!recommended) return null;
  return { p50Ms: recommended.p50 * 1000, p90Ms: recommended.p90 * 1000, p99Ms: recommended.p99 * 1000 };
}
