import { formatMetricValue, METRICS } from '../../../report/metrics.js';
import type { RunResult } from '../../../report/run-result.js';
import { DASH } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { note, section, table } from '../parts.js';

export function comparisonSection(result: RunResult, baseline: RunResult): Html {
  const rows: Part[][] = [];
  for (const metric of METRICS.values()) {
    if (!metric.compared) continue;
    const before = metric.read(baseline);
    const now = metric.read(result);
    if (before === null || now === null) continue; // measured in one run only: nothing to compare
    let ratio: Part = DASH;
    if (before !== 0) {
      const r = now / before;
      const better = metric.higherIsBetter ? r > 1.05 : r < 0.95;
      const worse = metric.higherIsBetter ? r < 0.95 : r > 1.05;
      ratio = html`<span class="${better ? 'ok' : worse ? 'bad' : ''}">×${r.toFixed(2)}${better ? ' better' : worse ? ' worse' : ''}</span>`;
    }
    const format = (v: number) => formatMetricValue(v, metric.unit);
    rows.push([metric.label, format(before), format(now), ratio]);
  }
  return section('compare', 'Before / after', [
    html`<p>baseline <code>${baseline.runId}</code> (${baseline.scenario.name}, ${baseline.startedAt}) → this run <code>${result.runId}</code></p>`,
    table(['metric', 'baseline', 'this run', 'ratio'], rows, 'num'),
    note(
      'ratio = this run ÷ baseline, marked beyond ±5%; the gates judge regressions against the measured run-to-run noise.',
    ),
  ]);
}
