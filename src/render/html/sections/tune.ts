import type { TuneResult } from '../../../report/sections/tune.js';
import { DASH, secs } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { note, section, table } from '../parts.js';
import { COLORS, linearAxis, plot } from '../svg-plot.js';

export function tuneSection(t: TuneResult): Html {
  const head = html`<p><strong>Diagnosis</strong> (controller <code>${t.controller}</code>, current settings from ${t.currentSource}): ${t.diagnosis.message}</p>`;
  if (t.refused)
    return section('tune', 'Tuning', [
      head,
      html`<div class="verdict bad">no recommendation: ${t.refused}</div>`,
    ]);
  const recs = table(
    ['knob', 'current', 'recommended', 'why'],
    t.recommendations.map((r) => [
      html`<code>${r.knob}</code>`,
      r.current === null ? DASH : String(r.current),
      r.changed ? html`<strong class="ok">${String(r.recommended)}</strong>` : String(r.recommended ?? DASH),
      html`${r.why}${r.changed && r.formula ? html` <span class="dim">· ${r.formula}</span>` : ''}`,
    ]),
    'knobs',
  );
  const p = t.prediction;
  let prediction: Part = '';
  if (p) {
    const series = [
      ...(p.measured ? [['measured (this run)', p.measured, COLORS.blue] as const] : []),
      ['predicted, current', p.current, COLORS.grey] as const,
      ['predicted, recommended', p.recommended, COLORS.green] as const,
    ];
    const rows = series.map(([name, v]) => [name, secs(v.p50), secs(v.p90), secs(v.p99)]);
    const keys = ['p50', 'p90', 'p99'] as const;
    const groupWidth = 0.8 / series.length;
    const bars = keys.flatMap((key, k) =>
      series.map(([name, v, color], i) => ({
        x0: k + 0.1 + i * groupWidth,
        x1: k + 0.1 + (i + 1) * groupWidth,
        y: v[key],
        color,
        title: `${name} ${key}: ${secs(v[key])}`,
      })),
    );
    const chart = plot({
      label: 'time to ready: measured vs predicted',
      x: {
        min: 0,
        max: 3,
        ticks: keys.map((key, k) => ({ value: k + 0.5, label: key })),
        title: 'time to ready',
      },
      y: linearAxis(0, Math.max(...bars.map((b) => b.y)) * 1.1, 'seconds', (v) => `${v}s`),
      layers: [{ kind: 'bars', bars }],
      legend: series.map(([name, , color]) => ({ label: name, color })),
    });
    prediction = [
      html`<h3>Prediction</h3>`,
      table(['time to ready', 'p50', 'p90', 'p99'], rows, 'num'),
      chart,
      note(`model: ${p.model}`),
    ];
  }
  return section('tune', 'Tuning', [
    head,
    recs,
    prediction,
    t.notes.length > 0
      ? html`<ul class="plain">${t.notes.map((n) => html`<li class="warn">${n}</li>`)}</ul>`
      : '',
  ]);
}
