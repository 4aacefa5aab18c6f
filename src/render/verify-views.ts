import type { RunSummary, VerifyResult } from '../tune/verify/result.js';
import { formatMs } from '../util/duration.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';

/** `vitictl tune verify`'s result for a terminal, and as markdown. Pure: they lay out, never compute. */

const ms = (v: number | null) => (v === null ? '-' : formatMs(v));
const pct = (v: number | null) => (v === null ? '-' : `${v > 0 ? '+' : ''}${v.toFixed(1)}%`);

const VERDICT_TEXT: Record<VerifyResult['decision']['verdict'], string> = {
  kept: 'kept the recommended config',
  'rolled-back': 'rolled back to the previous config',
  interrupted: 'interrupted: the previous config is back',
};

const RESTORED_TEXT: Record<VerifyResult['restored'], string> = {
  'not-needed': 'the recommended ConfigMap stays',
  replaced: 'the previous ConfigMap was put back as it was',
  deleted: 'the ConfigMap verify created was deleted (there was none before)',
};

export const EXPECT_TEXT: Record<NonNullable<VerifyResult['decision']['rule']>['expect'], string> = {
  faster: 'faster: p99 must improve by the margin',
  'not-worse': 'not worse: the tuner held workers and QPS (the API server has no room)',
};

/** The runs side by side: the recorded one when the baseline was re-measured, the baseline, the re-run. */
export function beforeAfterColumns(result: VerifyResult): Array<{ label: string; run: RunSummary | null }> {
  const remeasured = result.baseline === 'remeasured';
  return [
    ...(remeasured && result.recorded ? [{ label: 'recorded', run: result.recorded }] : []),
    { label: remeasured ? 'baseline (re-measured)' : 'before (recorded)', run: result.before },
    { label: 'after', run: result.after },
  ];
}

/** Each round's p99s and change, when there were several: [round, baseline run, after run, baseline p99, after p99, change]. */
export function roundRows(result: VerifyResult): string[][] {
  const rule = result.decision.rule;
  return result.rounds.map((round, index) => {
    const judged = rule?.rounds[index];
    return [
      String(index + 1),
      round.baseline.runId,
      round.after?.runId ?? '-',
      ms(round.baseline.timeToReady.p99),
      round.after ? ms(round.after.timeToReady.p99) : '-',
      judged ? pct(-judged.improvementPct) : '-',
    ];
  });
}

const ROUND_HEADERS = ['ROUND', 'BASELINE RUN', 'AFTER RUN', 'BASELINE p99', 'AFTER p99', 'CHANGE'];

const hasReanchored = (result: VerifyResult) => result.comparison.some((row) => row.reanchoredMs !== null);

/** The prediction table's columns: the re-anchored prediction's two when there is one. */
export function predictionHeaders(result: VerifyResult): string[] {
  return [
    'percentile',
    result.baseline === 'remeasured' ? 'baseline' : 'before',
    'predicted',
    'measured',
    'error',
    ...(hasReanchored(result) ? ['re-anchored', 'error'] : []),
  ];
}

/** The prediction table's rows, laid out with the renderer's own formats. */
export function predictionRows(
  result: VerifyResult,
  format: { ms: (v: number | null) => string; pct: (v: number | null) => string },
): string[][] {
  const reanchored = hasReanchored(result);
  return result.comparison.map((row) => [
    row.percentile,
    format.ms(row.beforeMs),
    format.ms(row.predictedMs),
    format.ms(row.measuredMs),
    format.pct(row.errorPct),
    ...(reanchored ? [format.ms(row.reanchoredMs), format.pct(row.reanchoredErrorPct)] : []),
  ]);
}

/** What the prediction columns mean, and why there is no re-anchored one when it was refused. */
export function predictionNotes(result: VerifyResult): string[] {
  const lines = ['error = (measured − predicted) ÷ predicted'];
  const section = result.reanchored;
  if (!section) return lines;
  const fits = section.fits
    .map((entry) => (entry.fit ? `p50 ${entry.fit.p50}, p99 ${entry.fit.p99}` : null))
    .filter((text) => text !== null);
  if (hasReanchored(result))
    lines.push(
      `re-anchored = the re-measured baseline${section.fits.length > 1 ? 's (median over them)' : ''} × the change the model, fitted there instead of on the recorded run, predicts for the applied settings${fits.length > 0 ? ` (its fit there, predicted ÷ measured: ${fits.join('; ')})` : ''}`,
    );
  for (const reason of section.refused) lines.push(`no re-anchored prediction: ${reason}`);
  return lines;
}

function runLine(name: string, run: RunSummary): string {
  const c = run.counts;
  return `${name}: run ${run.runId} · ${run.objects} objects at ${run.load} · ${c.ready} ready, ${c.failed} failed, ${c.timedOut} timed out${c.unfinished ? `, ${c.unfinished} unfinished` : ''}`;
}

export function renderVerify(result: VerifyResult, style: Style): string {
  const d = result.decision;
  const color = d.verdict === 'kept' ? style.green : d.verdict === 'rolled-back' ? style.yellow : style.red;
  const lines = [
    `${style.bold('verify')} ${result.diff.namespace}/${result.diff.name}: ${color(VERDICT_TEXT[d.verdict])}`,
    `  ${d.reason}`,
    `  ${RESTORED_TEXT[result.restored]}`,
  ];
  if (result.recorded && result.baseline === 'remeasured')
    lines.push(`  ${runLine('recorded', result.recorded)}`);
  lines.push(`  ${runLine(result.baseline === 'remeasured' ? 'baseline' : 'before  ', result.before)}`);
  if (result.after) lines.push(`  ${runLine('after   ', result.after)}`);
  if (result.rounds.length > 1) {
    const rounds = borderlessTable(ROUND_HEADERS, style);
    for (const row of roundRows(result)) rounds.push(row);
    lines.push(trimLines(rounds.toString()));
  }
  const headers = predictionHeaders(result).map((header) => header.toUpperCase());
  const table = borderlessTable(['TIME TO READY', ...headers.slice(1)], style);
  for (const row of predictionRows(result, { ms, pct })) table.push(row);
  lines.push(trimLines(table.toString()));
  for (const line of predictionNotes(result)) lines.push(style.dim(`  ${line}`));
  for (const reason of noPredictionReasons(result)) lines.push(style.yellow(`  no prediction: ${reason}`));
  for (const note of result.notes) lines.push(style.yellow(`note: ${note}`));
  return `${lines.join('\n')}\n`;
}

/** Why the recommended config has no predicted column: the tuner refused outside what the run saw. */
export function noPredictionReasons(result: VerifyResult): string[] {
  if (result.comparison.some((row) => row.predictedMs !== null)) return [];
  const refused = result.tune.prediction?.refused ?? [];
  return refused.length > 0 ? refused : ['the tuner made none (the run has no reconcile time to model)'];
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** report.md: decision, before/after side by side, prediction vs measured, the ConfigMap diff. */
export function renderVerifyMarkdown(result: VerifyResult): string {
  const d = result.decision;
  const icon = d.verdict === 'kept' ? '✅' : d.verdict === 'rolled-back' ? '↩️' : '⚠️';
  const columns = beforeAfterColumns(result);
  const side = (label: string, value: (run: RunSummary) => string) =>
    `| ${label} | ${columns.map((column) => (column.run ? cell(value(column.run)) : '-')).join(' | ')} |`;
  const lines = [
    `## vitictl tune verify: ${icon} ${VERDICT_TEXT[d.verdict]}`,
    '',
    `${cell(d.reason)}. ConfigMap \`${cell(result.diff.namespace)}/${cell(result.diff.name)}\`: ${RESTORED_TEXT[result.restored]}.`,
    '',
    `| | ${columns.map((column) => column.label).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    side('run', (r) => `\`${r.runId}\` (${r.startedAt})`),
    side('load', (r) => `${r.objects} × ${r.scenario} at ${r.load}`),
    side('config hash', (r) => r.configHash ?? '-'),
    side(
      'ready / failed / timed out',
      (r) => `${r.counts.ready} / ${r.counts.failed} / ${r.counts.timedOut}`,
    ),
    side('time to ready p50', (r) => ms(r.timeToReady.p50)),
    side('time to ready p90', (r) => ms(r.timeToReady.p90)),
    side('time to ready p99', (r) => ms(r.timeToReady.p99)),
    side('time to ready max', (r) => ms(r.timeToReady.max)),
    '',
    ...(result.rounds.length > 1
      ? [
          `**Rounds** (baseline and recommendation alternated; the figures below are medians over the rounds)`,
          '',
          `| ${ROUND_HEADERS.map((h) => h.toLowerCase()).join(' | ')} |`,
          `|${ROUND_HEADERS.map(() => '---').join('|')}|`,
          ...roundRows(result).map((row) => `| ${row.map(cell).join(' | ')} |`),
          '',
        ]
      : []),
    '**Prediction vs measured** (time to ready for the recommended config)',
    '',
    `| ${predictionHeaders(result).join(' | ')} |`,
    `|${predictionHeaders(result)
      .map(() => '---')
      .join('|')}|`,
    ...predictionRows(result, { ms, pct }).map((row) => `| ${row.join(' | ')} |`),
    '',
    ...predictionNotes(result).flatMap((line) => [`${cell(line)}.`, '']),
    ...noPredictionReasons(result).flatMap((reason) => [`No prediction: ${cell(reason)}.`, '']),
  ];
  if (d.rule) {
    const r = d.rule;
    const margin = `${r.marginPct}% (the larger of --min-improvement ${r.minImprovementPct}% and the run-to-run noise ${r.runToRunPct === null ? '-' : `${r.runToRunPct}%`})`;
    lines.push(
      r.expect === 'faster'
        ? `**Decision rule**: keep when p99 improves by at least the margin, ${margin} (measured ${r.improvementPct}%; predicted ${pct(r.predictedImprovementPct)}), beyond the noise (95% intervals of the p99: before ${ms(r.beforeP99Interval.lowMs)}–${ms(r.beforeP99Interval.highMs)}, after ${ms(r.afterP99Interval.lowMs)}–${ms(r.afterP99Interval.highMs)}: ${r.beyondNoise ? 'apart' : 'overlapping'}), with no new failed or timed-out objects (${r.newErrors} new).`
        : `**Decision rule**: the tuner held workers and QPS (the API server has no room), so keep when p99 is not worse by more than the margin, ${margin} (measured ${r.improvementPct}%), with no new failed or timed-out objects (${r.newErrors} new).`,
      '',
    );
  }
  if (result.settle) {
    const s = result.settle;
    lines.push(
      s.method === 'metric'
        ? `**Config taken**: \`vitistack_config_generation\` on ${cell(s.target)} went ${s.before ? `${s.before.hash} (${s.before.generation})` : 'unknown'} → ${s.after.hash} (${s.after.generation}) in ${s.seconds}s`
        : s.method === 'restart'
          ? `**Config taken**: ${cell(s.workload)} restarted and rolled out in ${s.seconds}s`
          : `**Config taken**: assumed after a settle wait of ${s.seconds}s`,
      '',
    );
  }
  lines.push(
    `**ConfigMap diff** (${result.diff.existed ? 'against the live one' : 'it did not exist'})`,
    '',
    '```diff',
    ...result.diff.removed.map((line) => `- ${line}`),
    ...result.diff.added.map((line) => `+ ${line}`),
    '```',
    '',
  );
  for (const note of result.notes) lines.push(`> ${cell(note)}`, '');
  return `${lines.join('\n')}\n`;
}
