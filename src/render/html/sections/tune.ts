import type { TuneResult } from '../../../report/sections/tune.js';
import { maxOf } from '../../../util/extremes.js';
import { sizingLine, stepLines, timeToReadyRows, validityLine } from '../../tune-rows.js';
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
  const colors = {
    'measured (this run)': COLORS.blue,
    'predicted, current': COLORS.grey,
    'predicted, recommended': COLORS.green,
  };
  const series = timeToReadyRows(t).map(({ name, value }) => ({
    name,
    value,
    color: colors[name as keyof typeof colors] ?? COLORS.grey,
  }));
  const p = t.prediction;
  let prediction: Part = '';
  if (p && series.length > 0) {
    const rows = series.map(({ name, value }) => [
      name,
      secs(value.p50Ms / 1000),
      secs(value.p90Ms / 1000),
      secs(value.p99Ms / 1000),
    ]);
    const keys = ['p50Ms', 'p90Ms', 'p99Ms'] as const;
    const groupWidth = 0.8 / series.length;
    const bars = keys.flatMap((key, k) =>
      series.map(({ name, value, color }, i) => ({
        x0: k + 0.1 + i * groupWidth,
        x1: k + 0.1 + (i + 1) * groupWidth,
        y: value[key] / 1000,
        color,
        title: `${name} ${key.slice(0, 3)}: ${secs(value[key] / 1000)}`,
      })),
    );
    const chart = plot({
      label: 'time to ready: measured vs predicted',
      x: {
        min: 0,
        max: 3,
        ticks: keys.map((key, k) => ({ value: k + 0.5, label: key.slice(0, 3) })),
        title: 'time to ready',
      },
      y: linearAxis(0, maxOf(bars.map((b) => b.y)) * 1.1, 'seconds', (v) => `${v}s`),
      layers: [{ kind: 'bars', bars }],
      legend: series.map(({ name, color }) => ({ label: name, color })),
    });
    const validity = validityLine(t);
    const [step, ...beyond] = stepLines(t);
    prediction = [
      html`<h3>Prediction</h3>`,
      table(['time to ready', 'p50', 'p90', 'p99'], rows, 'num'),
      chart,
      p.refused.length > 0
        ? html`<ul class="plain">${p.refused.map((r) => html`<li class="warn">no prediction: ${r}</li>`)}</ul>`
        : '',
      step
        ? html`<p class="warn">${step}</p><ul class="plain">${beyond.map((r) => html`<li>${r}</li>`)}</ul>`
        : '',
      validity ? note(validity) : '',
      note(`model: ${p.model}`),
    ];
  }
  const sizing = sizingLine(t);
  const instead =
    t.diagnosis.instead.length > 0
      ? html`<p><strong>Instead</strong>:</p><ul class="plain">${t.diagnosis.instead.map((advice) => html`<li>${advice}</li>`)}</ul>`
      : '';
  return section('tune', 'Tuning', [
    head,
    instead,
    recs,
    prediction,
    sizing ? html`<p>${sizing}</p>` : '',
    t.notes.length > 0
      ? html`<ul class="plain">${t.notes.map((n) => html`<li class="warn">${n}</li>`)}</ul>`
      : '',
  ]);
}
