import type { RunResult } from '../../../report/run-result.js';
import { maxOf, minOf } from '../../../util/extremes.js';
import { count, ms, perSec, tickMs } from '../format.js';
import { type Html, html } from '../markup.js';
import { badge, section, table } from '../parts.js';
import { COLORS, type Layer, linearAxis, logAxis, plot } from '../svg-plot.js';

export function stressSection(stress: NonNullable<RunResult['stress']>): Html {
  const rows = stress.steps.map((s) => [
    perSec(s.rate),
    count(s.objects),
    perSec(s.achievedRate),
    ms(s.readyP99Ms),
    count(s.failed),
    badge(s.metSlo, 'met', 'broke'),
  ]);
  const p99s = stress.steps.map((s) => s.readyP99Ms).filter((v) => v > 0);
  const wide = p99s.length > 0 && maxOf(p99s) / minOf(p99s) > 20;
  const y = wide
    ? logAxis(minOf(p99s) / 1.3, maxOf(p99s) * 1.3, 'ready p99 (log scale)', tickMs)
    : linearAxis(0, Math.max(1, maxOf(p99s)) * 1.1, 'ready p99', tickMs);
  const layers: Layer[] = [
    { kind: 'line', points: stress.steps.map((s) => [s.rate, s.readyP99Ms] as const), color: COLORS.grey },
    {
      kind: 'points',
      points: stress.steps.map((s) => ({
        x: s.rate,
        y: s.readyP99Ms,
        color: s.metSlo ? COLORS.green : COLORS.red,
        title: `${s.rate}/s: ready p99 ${ms(s.readyP99Ms)}, ${s.metSlo ? 'met' : 'broke'} the SLO`,
      })),
    },
  ];
  if (stress.knee !== null)
    layers.push({ kind: 'vline', x: stress.knee, color: COLORS.blue, label: `knee ${stress.knee}/s` });
  const chart =
    stress.steps.length > 0
      ? plot({
          label: 'ready p99 by rate',
          x: linearAxis(0, maxOf(stress.steps.map((s) => s.rate)) * 1.05, 'requested rate (objects/s)'),
          y,
          layers,
          legend: [
            { label: 'met the SLO', color: COLORS.green },
            { label: 'broke the SLO', color: COLORS.red },
          ],
        })
      : '';
  return section('stress', 'Stress steps', [
    html`<p>SLO <code>${stress.slo}</code> · knee: <strong>${stress.knee === null ? 'none (the lowest rate already broke the SLO)' : `${stress.knee}/s`}</strong></p>`,
    table(['rate', 'objects', 'achieved', 'ready p99', 'failed', 'SLO'], rows, 'num'),
    chart,
  ]);
}
