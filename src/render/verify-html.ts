import type { RunResult } from '../report/run-result.js';
import type { RunSummary, VerifyResult } from '../tune/verify/result.js';
import { DASH, ms } from './html/format.js';
import { type Html, html, type Part } from './html/markup.js';
import { badge, facts, note, page, section, table } from './html/parts.js';
import { comparisonSection } from './html/sections/comparison.js';
import { distributionSection } from './html/sections/latency.js';
import { tuneSection } from './html/sections/tune.js';
import {
  beforeAfterColumns,
  EXPECT_TEXT,
  noPredictionReasons,
  predictionHeaders,
  predictionNotes,
  predictionRows,
  roundRows,
} from './verify-views.js';

/**
 * report.html of `vitictl tune verify`: the decision, before and after side by side, prediction vs
 * measured, the ConfigMap diff, and the run report's own comparison and distribution parts when the
 * two runs are at hand. Pure; self-contained (inline CSS and SVG, no script).
 */

export interface VerifyHtmlOptions {
  before?: RunResult | undefined;
  after?: RunResult | undefined;
}

const pct = (v: number | null) => (v === null ? DASH : `${v > 0 ? '+' : ''}${v.toFixed(1)}%`);

function sideBySide(result: VerifyResult): Html {
  const columns = beforeAfterColumns(result);
  const row = (label: string, value: (run: RunSummary) => Part): Part[] => [
    label,
    ...columns.map((column) => (column.run ? value(column.run) : DASH)),
  ];
  return table(
    ['', ...columns.map((column) => column.label)],
    [
      row('run', (r) => html`<code>${r.runId}</code>`),
      row('load', (r) => `${r.objects} × ${r.scenario} at ${r.load}`),
      row('config hash', (r) => html`<code>${r.configHash ?? DASH}</code>`),
      row(
        'ready / failed / timed out',
        (r) => `${r.counts.ready} / ${r.counts.failed} / ${r.counts.timedOut}`,
      ),
      row('time to ready p50', (r) => ms(r.timeToReady.p50)),
      row('time to ready p90', (r) => ms(r.timeToReady.p90)),
      row('time to ready p99', (r) => ms(r.timeToReady.p99)),
      row('time to ready max', (r) => ms(r.timeToReady.max)),
    ],
    'num',
  );
}

export function renderVerifyHtml(result: VerifyResult, options: VerifyHtmlOptions = {}): string {
  const d = result.decision;
  const title = `vitictl tune verify · ${result.diff.namespace}/${result.diff.name}`;
  const rule = d.rule;
  const settle = result.settle;
  const body: Part[] = [
    html`<header><h1>${title}</h1><div class="dim">${result.startedAt} → ${result.endedAt}</div></header>`,
    html`<div class="verdict ${d.verdict === 'kept' ? 'ok' : 'bad'}">${badge(d.verdict === 'kept', 'kept', d.verdict)} ${d.reason}</div>`,
    section('before-after', 'Before / after', [
      sideBySide(result),
      note(`the ConfigMap at the end: ${result.restored}`),
    ]),
    result.rounds.length > 1
      ? section('rounds', 'Rounds', [
          table(
            ['round', 'baseline run', 'after run', 'baseline p99', 'after p99', 'change'],
            roundRows(result),
            'num',
          ),
          note('baseline and recommendation alternated; the prediction and the decision use the medians'),
        ])
      : '',
    section('prediction', 'Prediction vs measured', [
      table(predictionHeaders(result), predictionRows(result, { ms, pct }), 'num'),
      note('time to ready for the recommended config'),
      ...predictionNotes(result).map((line) => note(line)),
      ...noPredictionReasons(result).map((reason) => note(`no prediction: ${reason}`)),
    ]),
    rule
      ? section(
          'decision',
          'Decision rule',
          facts([
            ['expected of the recommendation', EXPECT_TEXT[rule.expect]],
            ['predicted p99 improvement', pct(rule.predictedImprovementPct)],
            ['--min-improvement', `${rule.minImprovementPct}%`],
            [
              "run-to-run noise (the same config's p99s)",
              rule.runToRunPct === null ? DASH : `${rule.runToRunPct}%`,
            ],
            ['margin', `${rule.marginPct}%`],
            ['measured p99 improvement', `${rule.improvementPct}%`],
            [
              'p99 95% interval before',
              `${ms(rule.beforeP99Interval.lowMs)}–${ms(rule.beforeP99Interval.highMs)}`,
            ],
            [
              'p99 95% interval after',
              `${ms(rule.afterP99Interval.lowMs)}–${ms(rule.afterP99Interval.highMs)}`,
            ],
            ['beyond the noise', rule.beyondNoise ? 'yes' : 'no'],
            ['new failed or timed-out objects', String(rule.newErrors)],
          ]),
        )
      : '',
    settle
      ? section(
          'settle',
          'Config taken',
          facts(
            settle.method === 'metric'
              ? [
                  ['how', html`<code>vitistack_config_generation</code> on ${settle.target}`],
                  ['before', settle.before ? `${settle.before.hash} (${settle.before.generation})` : DASH],
                  ['after', `${settle.after.hash} (${settle.after.generation})`],
                  ['waited', `${settle.seconds}s`],
                ]
              : settle.method === 'restart'
                ? [
                    ['how', `restart of ${settle.workload}`],
                    ['waited', `${settle.seconds}s`],
                  ]
                : [
                    ['how', 'settle wait'],
                    ['waited', `${settle.seconds}s`],
                  ],
          ),
        )
      : '',
    section('diff', 'ConfigMap diff', [
      html`<pre>${[...result.diff.removed.map((l) => `- ${l}`), ...result.diff.added.map((l) => `+ ${l}`)].join('\n')}</pre>`,
      note(result.diff.existed ? 'against the live ConfigMap' : 'the ConfigMap did not exist'),
    ]),
    options.before && options.after ? comparisonSection(options.after, options.before) : '',
    options.after ? distributionSection(options.after, options.before) : '',
    tuneSection(result.tune),
    result.notes.length > 0
      ? section(
          'notes',
          'Notes',
          result.notes.map((n) => note(n)),
        )
      : '',
  ];
  return page(title, body);
}
