import type { Style } from '../cli/style.js';
import type { TuneResult } from '../report/sections/tune.js';
import { formatMs } from '../util/duration.js';
import { borderlessTable, trimLines } from './table.js';

const secs = (seconds: number) => formatMs(seconds * 1000);

/** knob · current · recommended · why, then the prediction. Pure. */
export function renderTune(result: TuneResult, style: Style): string {
  const lines: string[] = [
    `${style.bold('tune')} run ${result.runId} · controller ${result.controller} · window ${result.windowSeconds.toFixed(0)}s · current settings from ${result.currentSource}`,
    `${style.bold('diagnosis')}: ${result.diagnosis.message}`,
  ];
  if (result.refused) {
    lines.push(style.red(`no recommendation: ${result.refused}`));
    return `${lines.join('\n')}\n`;
  }
  const table = borderlessTable(['KNOB', 'CURRENT', 'RECOMMENDED', 'WHY'], style);
  for (const rec of result.recommendations) {
    table.push([
      rec.knob,
      rec.current === null ? '-' : String(rec.current),
      rec.changed ? style.green(String(rec.recommended)) : String(rec.recommended ?? '-'),
      `${rec.why}${rec.changed && rec.formula ? ` · ${rec.formula}` : ''}`,
    ]);
  }
  lines.push(trimLines(table.toString()));
  const p = result.prediction;
  if (p) {
    const row = (name: string, v: { p50: number; p90: number; p99: number }) =>
      `  ${name.padEnd(22)} p50 ${secs(v.p50).padStart(7)}   p90 ${secs(v.p90).padStart(7)}   p99 ${secs(v.p99).padStart(7)}`;
    lines.push(style.bold('time to ready'));
    if (p.measured) lines.push(row('measured (this run)', p.measured));
    lines.push(row('predicted, current', p.current));
    lines.push(row('predicted, recommended', p.recommended));
    if (p.measured)
      lines.push(`  p99 improvement predicted: ${(p.current.p99 / p.recommended.p99).toFixed(1)}×`);
    lines.push(style.dim(`  model: ${p.model}`));
  }
  for (const note of result.notes) lines.push(style.yellow(`note: ${note}`));
  return `${lines.join('\n')}\n`;
}
