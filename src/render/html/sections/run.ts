import { formatMetricValue } from '../../../report/metrics.js';
import type { GateResult, RunResult } from '../../../report/run-result.js';
import { unansweredTargets } from '../../observe-warnings.js';
import { cleanupText, pacingText } from '../../summary-text.js';
import { count, DASH, isNum, pct, perSec } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { badge, facts, section, table } from '../parts.js';
import { COLORS } from '../svg-plot.js';

export function verdict(result: RunResult): Html {
  const gates = result.gates ?? [];
  const failed = gates.filter((g) => !g.passed);
  const c = result.apply?.counts;
  let kind: 'ok' | 'bad' | 'warn' | 'info';
  let head: string;
  const lines: Part[] = [];
  if (result.interrupted) {
    kind = 'warn';
    head = 'Interrupted: partial results';
    if (c)
      lines.push(
        `${c.created} created, ${c.ready} ready, ${c.interrupted} still waiting, ${c.notStarted} not started`,
      );
  } else if (gates.length > 0) {
    kind = failed.length > 0 ? 'bad' : 'ok';
    head =
      failed.length > 0
        ? `FAIL: ${failed.length} of ${gates.length} gates failed`
        : `PASS: all ${gates.length} gates passed`;
  } else if (c) {
    kind = c.failed + c.timedOut === 0 ? 'ok' : 'bad';
    head =
      kind === 'ok'
        ? `OK: ${c.total} objects, ${c.ready} ready${c.notWaited > 0 ? `, ${c.notWaited} not waited on` : ''}`
        : `${c.failed} failed and ${c.timedOut} timed out of ${c.total} objects`;
  } else {
    kind = 'info';
    head = 'No load was applied in this run';
  }
  for (const gate of failed) lines.push(html`<code>${gate.gate}</code>: ${gate.message}`);
  for (const line of unansweredTargets(result)) lines.push(`warning: ${line}`);
  return html`<div class="verdict ${kind}"><strong>${head}</strong>${lines.map((l) => html`<div>${l}</div>`)}</div>`;
}

export function runFacts(result: RunResult): Html {
  const items: Array<[string, Part]> = [
    ['run id', html`<code>${result.runId}</code>`],
    ['scenario', html`${result.scenario.name} <span class="dim">(${result.scenario.file})</span>`],
    ['seed · objects', `${result.scenario.seed} · ${count(result.scenario.objects)}`],
    [
      'target',
      html`${result.target.server} <span class="dim">(context ${result.target.context})</span>${result.target.insecureSkipTlsVerify ? html` <span class="badge bad">TLS not verified</span>` : ''}`,
    ],
    ['Kubernetes', result.target.kubernetesVersion],
    ['started', result.startedAt],
    ['ended', result.endedAt],
    ['tool', `${result.tool.name} ${result.tool.version}`],
  ];
  if (result.shard) items.push(['shard', `${result.shard.index + 1} of ${result.shard.count}`]);
  if (result.profile)
    items.push([
      'profile',
      html`${result.profile.name} <span class="dim">(${result.profile.kind}, ${result.profile.file})</span>`,
    ]);
  const a = result.apply;
  if (a) {
    items.push([
      'load',
      a.mode === 'open'
        ? `open loop ${perSec(a.requestedRate)} (burst ${a.burst ?? DASH}) → sent ${perSec(a.achievedRate)}, completed ${perSec(a.completedRate)}`
        : `closed loop, ${a.concurrency ?? DASH} in flight → ${perSec(a.achievedRate)} starts, completed ${perSec(a.completedRate)}`,
    ]);
    items.push([
      'creates',
      `${perSec(a.createThroughput)} acknowledged · max ${a.maxStartsIn100ms} starts in 100 ms${a.lateStarts > 0 ? ` · ${a.lateStarts} late starts` : ''}`,
    ]);
    if (a.pacing) {
      const { text, warning } = pacingText(a.pacing, {
        rateFlag: '--qps',
        scrapedApiServer: result.apiserver !== undefined,
      });
      items.push(['pacing', warning ? `${text} · ${warning}` : text]);
    }
  }
  if (result.overhead) {
    const o = result.overhead;
    items.push([
      'tool overhead',
      `${pct(o.share)} (CPU ${o.cpuSeconds.toFixed(2)}s of ${o.wallSeconds.toFixed(1)}s wall)`,
    ]);
  }
  if (result.cleanup) {
    const c = result.cleanup;
    items.push(['cleanup', `${cleanupText(c).replace(/^cleanup: /, '')}${c.note ? ` · ${c.note}` : ''}`]);
  } else if (a) {
    items.push(['cleanup', html`objects kept: <code>vitictl cleanup --run-id ${result.runId}</code>`]);
  }
  const phases =
    result.phases.length === 0
      ? ''
      : table(
          ['phase', 'start', 'end', 'seconds'],
          result.phases.map((p) => [p.name, p.start, p.end, p.seconds.toFixed(2)]),
          'compact',
        );
  const profiles = result.profiles?.length
    ? html`<h3>Profiles captured at peak</h3>${table(
        ['target', 'profile', 'file', 'bytes'],
        result.profiles.map((p) => [p.target, p.profile, html`<code>${p.file}</code>`, count(p.bytes)]),
      )}`
    : '';
  return section('run', 'Run', [facts(items), phases, profiles]);
}

export function gatesSection(gates: GateResult[]): Html {
  const withBaseline = gates.some((g) => g.baseline);
  const head = [
    'gate',
    'value',
    'threshold',
    'result',
    'message',
    ...(withBaseline ? ['baseline ± noise', 'allowed'] : []),
  ];
  const rows = gates.map((g) => [
    html`<code>${g.gate}</code>`,
    g.value === null ? 'not measured' : formatMetricValue(g.value, g.unit),
    isNum(g.threshold) ? `${g.op} ${formatMetricValue(g.threshold, g.unit)}` : g.op,
    badge(g.passed),
    g.message,
    ...(withBaseline
      ? g.baseline
        ? [
            `${formatMetricValue(g.baseline.value, g.unit)} ± ${formatMetricValue(g.baseline.noise, g.unit)}`,
            `+${(g.baseline.allowedRegression * 100).toFixed(0)}% + noise`,
          ]
        : ['', '']
      : []),
  ]);
  return section('gates', 'Gates', table(head, rows));
}

const STATES = [
  ['ready', COLORS.green],
  ['failed', COLORS.red],
  ['timedOut', COLORS.amber],
  ['notWaited', COLORS.grey],
  ['interrupted', COLORS.purple],
  ['notStarted', '#cbd5e1'],
] as const;

export function objectsSection(apply: NonNullable<RunResult['apply']>): Html {
  const rows = [
    ...apply.sets.map((s) => ({ name: s.set, kind: s.kind, c: s.counts })),
    { name: 'all sets', kind: '', c: apply.counts },
  ];
  const body = rows.map(({ name, kind, c }) => {
    const sum = STATES.reduce((total, [state]) => total + c[state], 0);
    const bar = STATES.filter(([state]) => c[state] > 0).map(
      ([state, color]) =>
        html`<i style="flex:${c[state]};background:${color}" title="${state} ${c[state]}"></i>`,
    );
    return [
      html`<strong>${name}</strong>`,
      kind,
      count(c.total),
      count(c.created),
      ...STATES.map(([state]) => count(c[state])),
      html`${sum === c.total ? html`<span class="ok">= ${count(sum)}</span>` : html`<span class="bad">${count(sum)} ≠ ${count(c.total)}</span>`}<div class="stack">${bar}</div>`,
    ];
  });
  const legend = STATES.map(
    ([state, color]) =>
      html`<span><i class="sw" style="background:${color};border-color:${color}"></i>${state}</span>`,
  );
  return section('objects', 'Objects', [
    table(['set', 'kind', 'total', 'created', ...STATES.map(([s]) => s), 'states add up'], body, 'objects'),
    html`<div class="legend">${legend}</div>`,
  ]);
}
