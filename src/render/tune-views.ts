import type { TuneResult } from '../report/sections/tune.js';
import { formatMs } from '../util/duration.js';
import { escapeControl } from '../util/escape-control.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';
import { sizingLine, stepLines, timeToReadyRows, validityLine } from './tune-rows.js';

const ms = (value: number) => formatMs(value);

/** knob · current · recommended · why, then the prediction. Pure. */
export function renderTune(result: TuneResult, style: Style): string {
  const lines: string[] = [
    `${style.bold('tune')} run ${escapeControl(result.runId)} · controller ${escapeControl(result.controller)} · window ${result.windowSeconds.toFixed(0)}s · current settings from ${escapeControl(result.currentSource)}`,
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
  if (result.diagnosis.instead.length > 0) {
    lines.push(style.bold('instead'));
    for (const advice of result.diagnosis.instead) lines.push(`  · ${advice}`);
  }
  const rows = timeToReadyRows(result);
  if (rows.length > 0) {
    lines.push(style.bold('time to ready'));
    for (const { name, value } of rows)
      lines.push(
        `  ${name.padEnd(22)} p50 ${ms(value.p50Ms).padStart(7)}   p90 ${ms(value.p90Ms).padStart(7)}   p99 ${ms(value.p99Ms).padStart(7)}`,
      );
  }
  const p = result.prediction;
  if (p) {
    for (const reason of p.refused) lines.push(style.yellow(`  no prediction: ${reason}`));
    const [step, ...beyond] = stepLines(result);
    if (step) lines.push(style.yellow(`  ${step}`), ...beyond.map((reason) => style.dim(`    · ${reason}`)));
    const validity = validityLine(result);
    if (validity) lines.push(style.dim(`  ${validity}`));
    lines.push(style.dim(`  model: ${p.model}`));
  }
  const sizing = sizingLine(result);
  if (sizing) lines.push(sizing);
  for (const note of result.notes) lines.push(style.yellow(`note: ${note}`));
  return `${lines.join('\n')}\n`;
}
