import { type LatencySummary, statMs } from '../report/histogram.js';
import type { RunResult } from '../report/run-result.js';
import type { Pacing } from '../report/sections/pacing.js';
import { formatMs } from '../util/duration.js';
import { escapeControl } from '../util/escape-control.js';
import { apiserverMarkdown } from './apiserver-views.js';
import { lifecycleRows } from './lifecycle-rows.js';
import { unansweredTargets } from './observe-warnings.js';
import { groundTruthNote, pacingText } from './summary-text.js';
import { sizingLine, stepLines, timeToReadyRows } from './tune-rows.js';

/** A table cell or inline text: no pipe, no line break, no control character. */
const cell = (text: string) => escapeControl(text.replace(/\n/g, ' ')).replace(/\|/g, '\\|');
/**
 * Outside code spans, text from the run (a hand-made run.json's names, a target's messages) must not
 * become HTML: a `<` that would open a tag and an `&` that would start an entity are written as
 * entities, which render as the characters (`p99 < 30s` stays as it is; inside a code span an
 * entity would show as typed, so code spans take `cell` alone).
 */
const text = (value: string) =>
  cell(value)
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;');
/** A code span that no backtick in the value can close early (a longer fence, as CommonMark allows). */
function code(value: string): string {
  const inner = cell(value);
  let longest = 0;
  for (const run of inner.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${inner}${pad}${fence}`;
}
const ms = formatMs;
const row = (h: LatencySummary) =>
  h.count === 0
    ? '- | - | - | -'
    : `${ms(statMs(h, 'p50'))} | ${ms(statMs(h, 'p90'))} | ${ms(statMs(h, 'p99'))} | ${ms(statMs(h, 'max'))}`;

function shardNote(result: RunResult): string {
  if (result.shard)
    return ` · shard ${result.shard.index}/${result.shard.count} of ${result.shard.scenarioObjects} objects (its gates judge this part only; merge the shards)`;
  if (result.mergedFrom) return ` · merged from ${result.mergedFrom.length} shards`;
  return '';
}

function pacingLine(pacing: Pacing, scrapedApiServer: boolean): string {
  const { text, warning } = pacingText(pacing, { rateFlag: '--qps', scrapedApiServer });
  return `**Pacing**: ${text}${warning ? ` · ⚠ ${warning}` : ''}`;
}

/** A markdown report (for PRs and $GITHUB_STEP_SUMMARY). Pure. */
export function renderMarkdown(result: RunResult): string {
  const gates = result.gates ?? [];
  const failed = gates.filter((g) => !g.passed);
  const verdict = result.interrupted
    ? '⚠️ interrupted'
    : failed.length > 0
      ? `❌ ${failed.length} of ${gates.length} gates failed`
      : `✅ ${gates.length} gates passed`;
  const lines = [
    `## vitictl ${text(result.profile?.name ?? 'run')}: ${verdict}`,
    '',
    `Run ${code(result.runId)} · scenario **${text(result.scenario.name)}** (seed ${result.scenario.seed}, ${result.scenario.objects} objects) · ${text(result.target.server)} (${text(result.target.kubernetesVersion)}) · ${result.startedAt}${shardNote(result)}`,
    '',
  ];
  for (const line of unansweredTargets(result)) lines.push(`> ⚠️ ${text(line)}`, '');
  if (gates.length > 0) {
    lines.push('| gate | result | |', '|---|---|---|');
    for (const gate of gates)
      lines.push(`| ${code(gate.gate)} | ${text(gate.message)} | ${gate.passed ? '✅' : '❌'} |`);
    lines.push('');
  }
  const apply = result.apply;
  if (apply) {
    const c = apply.counts;
    lines.push(
      `**Load**: ${apply.mode === 'open' ? `${apply.requestedRate}/s requested, ${apply.achievedRate}/s sent, ${apply.completedRate ?? '–'}/s completed` : `${apply.concurrency} in flight`} · created ${apply.createThroughput}/s · objects ${c.total}: ${c.ready} ready, ${c.failed} failed, ${c.timedOut} timed out${c.notWaited ? `, ${c.notWaited} not waited` : ''}${c.interrupted + c.notStarted ? `, ${c.interrupted + c.notStarted} interrupted` : ''}`,
      '',
      ...(apply.pacing ? [pacingLine(apply.pacing, result.apiserver !== undefined), ''] : []),
      '| latency | p50 | p90 | p99 | max |',
      '|---|---|---|---|---|',
      `| create (client) | ${row(apply.latency.create)} |`,
      `| time to ready (client) | ${row(apply.latency.timeToReady)} |`,
      `| time to ready (server clock, 1 s) | ${row(apply.latency.serverTimeToReady)} |`,
      `| watch lag | ${row(apply.latency.watchLag)} |`,
      ...(apply.latency.ownLag
        ? [`| vitictl's own part (event read → marked ready) | ${row(apply.latency.ownLag)} |`]
        : []),
      ...(apply.groundTruth
        ? [
            `| audit commit → watch event read | ${row(apply.groundTruth.commitToRead)} |`,
            `| watch event read → marked ready | ${row(apply.groundTruth.readToMarked)} |`,
            `| audit commit → marked ready | ${row(apply.groundTruth.commitToMarked)} |`,
          ]
        : []),
      '',
      ...(apply.groundTruth ? [groundTruthNote(apply.groundTruth), ''] : []),
    );
  }
  const lifecycle = lifecycleRows(result);
  if (lifecycle.length > 0) {
    lines.push(
      '**Lifecycle**',
      '',
      '| phase | load | sent | done | failed | timed out | interrupted or not started |',
      '|---|---|---|---|---|---|---|',
      ...lifecycle.map(
        (r) =>
          `| ${text(r.phase)} | ${text(r.load)} | ${r.sent} | ${r.done} | ${r.failed} | ${r.timedOut} | ${r.interrupted} |`,
      ),
      '',
      '| phase | latency | p50 | p90 | p99 | max |',
      '|---|---|---|---|---|---|',
      ...lifecycle.flatMap((r) => [
        `| ${text(r.phase)} | ${text(r.latencyLabel)} | ${row(r.latency)} |`,
        ...r.also.map((also) => `| ${text(r.phase)} | ${text(also.label)} | ${row(also.latency)} |`),
      ]),
      '',
      ...lifecycle.flatMap((r) => r.notes.map((note) => `- ${text(r.phase)}: ${text(note)}`)),
      '',
    );
  }
  if (result.stress) {
    lines.push(
      `**Stress** (SLO ${code(result.stress.slo)}): knee ${result.stress.knee === null ? 'none: the lowest rate already broke the SLO' : `${result.stress.knee}/s`}`,
      '',
      '| rate | objects | ready p99 | achieved | failed | SLO |',
      '|---|---|---|---|---|---|',
    );
    for (const step of result.stress.steps)
      lines.push(
        `| ${step.rate}/s | ${step.objects} | ${ms(step.readyP99Ms)} | ${step.achievedRate}/s | ${step.failed} | ${step.metSlo ? '✅' : '❌'} |`,
      );
    lines.push('');
  }
  if (result.apiserver) lines.push(...apiserverMarkdown(result.apiserver));
  const tune = result.tune;
  if (tune) {
    lines.push(
      `**Tuning**: ${text(tune.diagnosis.message)}`,
      '',
      '| knob | current | recommended | why |',
      '|---|---|---|---|',
    );
    for (const rec of tune.recommendations.filter((r) => r.changed))
      lines.push(
        `| ${code(rec.knob)} | ${text(String(rec.current ?? '-'))} | **${text(String(rec.recommended))}** | ${text(rec.why)} |`,
      );
    lines.push('');
    if (tune.diagnosis.instead.length > 0)
      lines.push(...tune.diagnosis.instead.map((advice) => `- instead: ${text(advice)}`), '');
    const rows = timeToReadyRows(tune);
    if (rows.length > 0) {
      lines.push('| time to ready | p50 | p90 | p99 |', '|---|---|---|---|');
      for (const { name, value } of rows)
        lines.push(`| ${name} | ${ms(value.p50Ms)} | ${ms(value.p90Ms)} | ${ms(value.p99Ms)} |`);
      lines.push('');
    }
    for (const reason of tune.prediction?.refused ?? []) lines.push(`no prediction: ${text(reason)}`, '');
    const [step, ...beyond] = stepLines(tune);
    if (step) lines.push(text(step), ...beyond.map((reason) => `- ${text(reason)}`), '');
    const sizing = sizingLine(tune);
    if (sizing) lines.push(text(sizing), '');
  }
  if (result.overhead)
    lines.push(
      `vitictl's own CPU: ${result.overhead.cpuSeconds.toFixed(1)}s over ${result.overhead.wallSeconds.toFixed(1)}s (${(result.overhead.share * 100).toFixed(1)}% of the run).`,
      '',
    );
  return `${lines.join('\n')}\n`;
}
