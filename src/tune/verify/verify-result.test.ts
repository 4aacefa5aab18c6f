import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeStyle } from '../../render/style.js';
import { renderVerifyHtml } from '../../render/verify-html.js';
import { renderVerify, renderVerifyMarkdown } from '../../render/verify-views.js';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import { parseRunResult, type RunResult } from '../../report/run-result.js';
import { tune } from '../tune.js';
import { decide } from './decide.js';
import { predictedPercentiles } from './predicted.js';
import { type VerifyResult, verifyResultSchema } from './result.js';
import { comparePercentiles, loadOf, reanchorOn, summarizeRun } from './runs.js';

/** From a recorded run to verify.json and its reports, without a cluster: the pure parts of verify. */

const file = new URL('../../../test/fixtures/smoke-run.json', import.meta.url);
const before = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), 'smoke-run.json');

/** The same run, every object ready in a tenth of the time. */
function faster(run: RunResult): RunResult {
  const histogram = newHistogram();
  const ttr = run.apply!.latency.timeToReady;
  for (let i = 0; i < ttr.count; i++)
    recordMs(histogram, (ttr.min + ((ttr.max - ttr.min) * i) / ttr.count) / 10);
  const apply = { ...run.apply!, latency: { ...run.apply!.latency, timeToReady: summarize(histogram) } };
  return { ...run, runId: 'after-1', apply };
}

function verifyResult(peakRate?: number): VerifyResult {
  // at most 4 workers: within 4× of what the run saw, so the tuner predicts (a peak rate far beyond
  // the run's makes it refuse)
  const tuned = tune({
    run: before,
    current: undefined,
    currentSource: 'defaults',
    strategy: 'balanced',
    maxWorkers: 4,
    peakRate,
  });
  const b = summarizeRun(before, 'absent');
  const a = summarizeRun(faster(before), '2d711642b726b044');
  const decision = decide([{ before: b, after: a }], {
    minImprovementPct: 5,
    predictedImprovementPct: null,
    held: false,
    recorded: null,
  });
  return verifyResultSchema.parse({
    schemaVersion: 1,
    kind: 'vitictl.io/VerifyResult',
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:01:00.000Z',
    baseline: 'recorded',
    before: b,
    after: a,
    comparison: comparePercentiles(tuned, [b], [a]),
    decision,
    diff: {
      namespace: 'vitistack-system',
      name: 'perf',
      existed: false,
      removed: [],
      added: ['rateLimit:', '  qps: 104'],
    },
    appliedHash: '2d711642b726b044',
    settle: {
      method: 'metric',
      target: 'http://127.0.0.1:8080/metrics',
      before: { hash: 'absent', generation: 0 },
      after: { hash: '2d711642b726b044', generation: 4711 },
      seconds: 1.5,
    },
    restored: 'not-needed',
    tune: tuned,
    notes: [],
  });
}

describe('verify result', () => {
  it('re-runs the load the run recorded', () => {
    expect(loadOf(before)).toEqual(
      before.apply!.mode === 'open'
        ? { mode: 'open', rate: before.apply!.requestedRate, burst: before.apply!.burst }
        : { mode: 'closed', concurrency: before.apply!.concurrency },
    );
  });

  it('compares predicted with measured per percentile, error relative to the prediction', () => {
    const result = verifyResult();
    const predicted = predictedPercentiles(result.tune)!;
    const p99 = result.comparison.find((c) => c.percentile === 'p99')!;
    expect(p99.predictedMs).toBeCloseTo(predicted.p99Ms, 0);
    expect(p99.measuredMs).toBe(result.after!.timeToReady.p99);
    expect(p99.errorPct).toBeCloseTo(((p99.measuredMs! - predicted.p99Ms) / predicted.p99Ms) * 100, 0);
    expect(result.decision.verdict).toBe('kept');
  });

  it('renders the decision, before and after side by side, and the diff (markdown, html, terminal)', () => {
    const result = verifyResult();
    const md = renderVerifyMarkdown(result);
    expect(md).toMatch(/^## vitictl tune verify: ✅ kept the recommended config/);
    expect(md).toMatch(/\| time to ready p99 \| [\d.]+m?s \| [\d.]+m?s \|/);
    expect(md).toMatch(/\| p99 \| .* \| [+-][\d.]+% \|/);
    expect(md).toMatch(/went absent \(0\) → 2d711642b726b044 \(4711\)/);
    expect(md).toMatch(/```diff\n\+ rateLimit:\n\+ {3}qps: 104\n```/);
    const page = renderVerifyHtml(result, { before, after: faster(before) });
    expect(page).toMatch(/^<!doctype html>/);
    for (const part of [
      'Before / after',
      'Prediction vs measured',
      'Decision rule',
      'ConfigMap diff',
      'Tuning',
    ])
      expect(page).toContain(part);
    expect(page).not.toMatch(/<script/);
    const text = renderVerify(result, makeStyle(false));
    expect(text).toMatch(/^verify vitistack-system\/perf: kept the recommended config/);
    expect(text).toMatch(/^p99 +\S+ +\S+ +\S+ +[+-][\d.]+%$/m);
  });

  it('says why there is no predicted column when the recommendation is beyond what the run saw', () => {
    const result = verifyResult(before.apply!.achievedRate * 100);
    const refused = result.tune.prediction!.refused;
    expect(refused.length).toBeGreaterThan(0);
    expect(result.comparison.every((row) => row.predictedMs === null && row.errorPct === null)).toBe(true);
    const why = `no prediction: ${refused[0]}`;
    expect(renderVerify(result, makeStyle(false))).toContain(why);
    expect(renderVerifyMarkdown(result)).toContain(`No prediction: ${refused[0]}`);
    expect(renderVerifyHtml(result, { before, after: faster(before) })).toContain('no prediction:');
    // with a prediction, nothing is said
    expect(renderVerify(verifyResult(), makeStyle(false))).not.toContain('no prediction');
  });

  it('puts the recorded run, the re-measured baseline and the re-run side by side, and the margin it used', () => {
    const recorded = verifyResult();
    const result = { ...recorded, baseline: 'remeasured' as const, recorded: recorded.before };
    const md = renderVerifyMarkdown(result);
    expect(md).toMatch(/^\| \| recorded \| baseline \(re-measured\) \| after \|$/m);
    expect(md).toMatch(/\| time to ready p99 \| [\d.]+m?s \| [\d.]+m?s \| [\d.]+m?s \|/);
    expect(md).toMatch(/the larger of --min-improvement 5% and the run-to-run noise/);
    const text = renderVerify(result, makeStyle(false));
    expect(text).toMatch(/^ {2}recorded: run /m);
    expect(text).toMatch(/^ {2}baseline: run /m);
    const page = renderVerifyHtml(result, { before, after: faster(before) });
    expect(page).toContain('baseline (re-measured)');
    expect(page).toContain('run-to-run noise');
  });

  it('shows each round when baseline and recommendation alternated, and the medians it judged on', () => {
    const single = verifyResult();
    const b = single.before;
    const a = single.after!;
    const pairs = [
      { before: b, after: a },
      { before: b, after: a },
    ];
    const decision = decide(pairs, {
      minImprovementPct: 5,
      predictedImprovementPct: null,
      held: false,
      recorded: null,
    });
    const result = {
      ...single,
      baseline: 'remeasured' as const,
      recorded: b,
      rounds: pairs.map((pair) => ({ baseline: pair.before, after: pair.after })),
      decision,
    };
    expect(decision.rule?.rounds).toHaveLength(2);
    expect(decision.reason).toMatch(/^p99 time-to-ready over 2 rounds/);
    const text = renderVerify(result, makeStyle(false));
    expect(text).toMatch(/^ROUND +BASELINE RUN +AFTER RUN +BASELINE p99 +AFTER p99 +CHANGE$/m);
    expect(text).toMatch(/^2 +\S+ +\S+ +\S+ +\S+ +-[\d.]+%$/m);
    expect(renderVerifyMarkdown(result)).toMatch(/\*\*Rounds\*\*[\s\S]*\| 2 \| /);
    expect(renderVerifyHtml(result, {})).toContain('Rounds');
  });

  it('shows the prediction re-anchored on the baseline beside the first one, and why when it was refused', () => {
    const single = verifyResult();
    const tuneOptions = {
      run: before,
      current: undefined,
      currentSource: 'defaults',
      strategy: 'balanced' as const,
      maxWorkers: 4,
    };
    const { predictions, section } = reanchorOn(tuneOptions, [before], single.tune.settings.recommended);
    const result = {
      ...single,
      baseline: 'remeasured' as const,
      recorded: single.before,
      comparison: comparePercentiles(single.tune, [single.before], [single.after!], predictions),
      reanchored: section,
    };
    const text = renderVerify(result, makeStyle(false));
    expect(text).toMatch(/^TIME TO READY +BASELINE +PREDICTED +MEASURED +ERROR +RE-ANCHORED +ERROR$/m);
    expect(text).toMatch(/^p99( +\S+){3} +[+-][\d.]+%( +\S+) +[+-][\d.]+%$/m);
    expect(text).toMatch(
      /re-anchored = the re-measured baseline × the change the model, fitted there instead of on the recorded run, predicts for the applied settings \(its fit there, predicted ÷ measured: p50 [\d.]+, p99 [\d.]+\)/,
    );
    expect(renderVerifyMarkdown(result)).toMatch(
      /^\| percentile \| baseline \| predicted \| measured \| error \| re-anchored \| error \|$/m,
    );
    expect(renderVerifyHtml(result, {})).toContain('re-anchored');
    // refused: no columns, the reason instead
    const refused = {
      ...result,
      comparison: comparePercentiles(single.tune, [single.before], [single.after!], []),
      reanchored: { fits: section.fits, refused: ['64 workers is over 4× the 1 this run saw'] },
    };
    const refusedText = renderVerify(refused, makeStyle(false));
    expect(refusedText).not.toMatch(/RE-ANCHORED/);
    expect(refusedText).toContain('no re-anchored prediction: 64 workers is over 4× the 1 this run saw');
  });
});
