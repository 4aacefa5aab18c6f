import { describe, expect, it } from 'vitest';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import type { RunResult } from '../../report/run-result.js';
import { RECORDED, type RecordedName, recordedRun } from '../fixtures/recorded.js';
import { predictFor, type TuneOptions } from '../run-model.js';
import { tune } from '../tune.js';
import { comparePercentiles, reanchorOn, summarizeRun } from './runs.js';

/** The prediction re-anchored on a re-measured baseline, on runs recorded from the lab. */

const optionsFor = (name: RecordedName, run: RunResult = recordedRun(name)): TuneOptions => ({
  run,
  current: structuredClone(RECORDED[name]),
  currentSource: 'recorded',
  strategy: 'balanced',
});

/** The same run as a later baseline would measure it: every object `factor` × as long to ready. */
function slower(run: RunResult, factor: number): RunResult {
  const ttr = run.apply!.latency.timeToReady;
  const histogram = newHistogram();
  // the recorded distribution's shape, stretched: its percentiles as points, each stretched
  const points = [ttr.min, ttr.p50, ttr.p90, ttr.p99, ttr.max];
  for (let i = 0; i < ttr.count; i++) {
    const at = (i / Math.max(1, ttr.count - 1)) * (points.length - 1);
    const low = Math.floor(at);
    const high = Math.min(points.length - 1, low + 1);
    recordMs(histogram, (points[low]! + (points[high]! - points[low]!) * (at - low)) * factor);
  }
  return {
    ...run,
    runId: `${run.runId}-later`,
    apply: { ...run.apply!, latency: { ...run.apply!.latency, timeToReady: summarize(histogram) } },
  };
}

describe('the model asked about given settings (predictFor)', () => {
  it('answers for the settings tune recommends exactly what tune predicted for them', () => {
    for (const name of ['workers', 'client-qps'] as const) {
      const options = optionsFor(name);
      const tuned = tune(options);
      const answer = predictFor(options, tuned.settings.recommended);
      const { p50Ms, p90Ms, p99Ms } = tuned.prediction!.recommended!;
      expect(answer.refused).toEqual([]);
      expect(answer.predicted).toEqual({ p50Ms, p90Ms, p99Ms });
      expect(answer.fit).toEqual(tuned.prediction!.fit);
    }
  });

  it('answers for the settings the run ran with what the calibrated model reproduced', () => {
    const options = optionsFor('apiserver');
    const tuned = tune(options);
    const current = tuned.prediction!.current!;
    const predicted = predictFor(options, tuned.settings.current).predicted!;
    for (const key of ['p50Ms', 'p90Ms', 'p99Ms'] as const)
      expect(predicted[key]).toBeCloseTo(current[key], 3);
  });

  it('refuses settings beyond what the run saw, with the reason, rather than stepping', () => {
    const options = optionsFor('workers');
    const settings = { ...tune(options).settings.current, workers: 64 };
    const answer = predictFor(options, settings);
    expect(answer.predicted).toBeNull();
    expect(answer.refused.join('\n')).toMatch(/64 workers is over 4× the 1 this run saw/);
  });

  it('refuses a raise the server has no cores for, rather than answering for the settings it would hold', () => {
    const options = optionsFor('shared-cpu');
    const current = tune(options).settings.current;
    const answer = predictFor(options, { ...current, workers: current.workers + 1 });
    expect(answer.predicted).toBeNull();
    expect(answer.refused.join('\n')).toMatch(/would need about [\d.]+ of the 2 cores it may use/);
  });
});

describe('re-anchoring on the baseline (reanchorOn)', () => {
  it('follows a cluster that got slower since the recorded run; the first prediction does not', () => {
    const options = optionsFor('shared-cpu');
    const tuned = tune(options);
    // the API server has no room: the tuner holds the load, so the applied settings offer the same load
    expect(tuned.prediction?.held).not.toBeNull();
    const baseline = slower(options.run, 1.5);
    const { predictions, section } = reanchorOn(options, [baseline], tuned.settings.recommended);
    expect(section.fits.map((entry) => entry.runId)).toEqual([baseline.runId]);
    expect(section.refused).toEqual([]);
    const fit = section.fits[0]!.fit!;
    const comparison = comparePercentiles(
      tuned,
      [summarizeRun(baseline, null)],
      [summarizeRun(baseline, null)],
      predictions,
    );
    const p99 = comparison.find((row) => row.percentile === 'p99')!;
    // measured = the baseline and the held settings add no load: the re-anchored prediction is the
    // baseline itself, whatever the refitted model's miss on it; the first one carries the cluster's move
    expect(fit.p99).not.toBe(1);
    expect(p99.reanchoredMs).toBeCloseTo(p99.measuredMs!, 0);
    expect(p99.reanchoredErrorPct).toBeCloseTo(0, 0);
    expect(Math.abs(p99.errorPct!)).toBeGreaterThan(20);
  });

  it('scales what the baseline measured by the change the model predicts for a raise', () => {
    const options = optionsFor('workers');
    const tuned = tune(options);
    expect(tuned.settings.recommended.workers).toBeGreaterThan(tuned.settings.current.workers);
    const baseline = slower(options.run, 1.4);
    const { predictions } = reanchorOn(options, [baseline], tuned.settings.recommended);
    const answer = predictFor({ ...options, run: baseline }, tuned.settings.recommended);
    const change = answer.predicted!.p99Ms / answer.atRun!.p99Ms;
    expect(change).toBeLessThan(1);
    expect(predictions[0]!.p99Ms).toBeCloseTo(baseline.apply!.latency.timeToReady.p99 * change, 3);
  });

  it('takes the median over several baselines and says which it refitted on', () => {
    const options = optionsFor('apiserver');
    const tuned = tune(options);
    const baselines = [slower(options.run, 1), slower(options.run, 1.2), slower(options.run, 3)];
    baselines.forEach((run, index) => {
      run.runId = `baseline-${index + 1}`;
    });
    const { predictions, section } = reanchorOn(options, baselines, tuned.settings.recommended);
    expect(section.fits.map((entry) => entry.runId)).toEqual(['baseline-1', 'baseline-2', 'baseline-3']);
    expect(predictions).toHaveLength(3);
    const [row] = comparePercentiles(tuned, [], [], predictions).filter((r) => r.percentile === 'p99');
    const middle = [...predictions.map((p) => p.p99Ms)].sort((a, b) => a - b)[1]!;
    expect(row!.reanchoredMs).toBeCloseTo(middle, 0);
    expect(row!.measuredMs).toBeNull();
    expect(row!.reanchoredErrorPct).toBeNull();
  });
});
