import { basename } from 'node:path';
import type { CaptureResult } from '../observe/pprof/capture.js';
import type { GoroutineSummary } from '../observe/pprof/goroutines.js';
import type { TopReport } from '../observe/pprof/top.js';
import { percentage, scale, scaledLabel } from '../observe/pprof/units.js';
import { escapeControl } from '../util/escape-control.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';

const pad = (text: string, width: number) => text.padStart(width);

/** "2006-01-02 15:04:05 MST" in local time, as pprof prints profile times. */
function goTime(nanos: string): string {
  const date = new Date(Number(BigInt(nanos) / 1_000_000n));
  const two = (n: number) => String(n).padStart(2, '0');
  const zone =
    new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(date)
      .find((part) => part.type === 'timeZoneName')?.value ?? '';
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${zone}`;
}

/** The header lines of `go tool pprof -top` (report.reportLabels with the profile labels). */
export function topLabels(report: TopReport): string[] {
  const unit = report.sampleType.unit;
  const format = (v: number) => scaledLabel(v, unit, report.outputUnit);
  const labels: string[] = [];
  const p = report.profile;
  if (p.file !== '') labels.push(`File: ${basename(p.file)}`);
  if (p.buildId !== '') labels.push(`Build ID: ${p.buildId}`);
  for (const comment of p.comments) if (!comment.startsWith('#')) labels.push(comment);
  labels.push(`Type: ${report.sampleType.type}`);
  if (p.docUrl !== '') labels.push(`Doc: ${p.docUrl}`);
  if (p.timeNanos !== '0') labels.push(`Time: ${goTime(p.timeNanos)}`);
  if (p.durationNanos !== 0) {
    const duration = scaledLabel(p.durationNanos, 'nanoseconds', 'auto');
    const [totalNanos, totalUnit] = scale(report.total, unit, 'nanoseconds');
    const ratio =
      totalUnit === 'ns' && totalNanos !== 0
        ? `(${percentage(Math.trunc(totalNanos), p.durationNanos)})`
        : '';
    labels.push(`Duration: ${duration}, Total samples = ${format(report.total)} ${ratio}`);
  }
  if (report.filters.length > 0) {
    labels.push('Active filters:');
    for (const filter of report.filters) {
      labels.push(`   ${filter.length > 80 ? `${filter.slice(0, 80)}…` : filter}`);
    }
  }
  labels.push(
    `Showing nodes accounting for ${format(report.shownTotal)}, ${percentage(report.shownTotal, report.total).trim()} of ${format(report.total)} total`,
  );
  if (report.total !== 0) {
    if (report.droppedNodes > 0) {
      labels.push(
        `Dropped ${report.droppedNodes} node${report.droppedNodes > 1 ? 's' : ''} (cum <= ${format(report.dropCutoff)})`,
      );
    }
    if (report.rows.length > 0 && report.rows.length < report.nodesAboveCutoff) {
      labels.push(`Showing top ${report.rows.length} nodes out of ${report.nodesAboveCutoff}`);
    }
  }
  return labels;
}

/** `go tool pprof -top` text, line for line (report.printText). Pure. */
export function renderTop(report: TopReport): string {
  const unit = report.sampleType.unit;
  const format = (v: number) => scaledLabel(v, unit, report.outputUnit);
  const lines = topLabels(report).map(escapeControl);
  lines.push(`${pad('flat', 10)} ${pad('flat', 5)}% ${pad('sum', 5)}% ${pad('cum', 10)} ${pad('cum', 5)}%`);
  let running = 0;
  for (const row of report.rows) {
    running += row.flat;
    const inline = row.inline === '' ? '' : ` (${row.inline})`;
    // a profile's names are the program's, and a crafted profile's can drive the terminal
    lines.push(
      `${pad(format(row.flat), 10)} ${percentage(row.flat, report.total)} ${percentage(running, report.total)} ${pad(format(row.cum), 10)} ${percentage(row.cum, report.total)}  ${escapeControl(`${row.name}${inline}`)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What `pprof capture` saved, one row per target. */
export function renderCaptures(results: CaptureResult[], style: Style): string {
  const table = borderlessTable(['TARGET', 'PROFILE', 'FILE', 'SIZE', 'SAMPLES'], style);
  for (const r of results) {
    table.push([
      r.target,
      r.profile,
      r.file,
      scaledLabel(r.bytes, 'bytes', 'auto'),
      r.samples === undefined ? '-' : String(r.samples),
    ]);
  }
  const lines = [trimLines(table.toString())];
  for (const r of results)
    for (const note of r.notes) lines.push(`${style.yellow('note:')} ${r.file}: ${note}`);
  const first = results.find((r) => r.format === 'pb.gz');
  if (first)
    lines.push(style.dim(`next: vitictl pprof top ${first.file}   (or: go tool pprof -top ${first.file})`));
  return `${lines.join('\n')}\n`;
}

function stateText(states: Record<string, number>): string {
  const entries = Object.entries(states);
  return entries.length === 1 ? entries[0]![0] : entries.map(([state, n]) => `${state} ×${n}`).join(', ');
}

function waitText(min: number, max: number): string {
  if (max === 0) return '';
  return min === max ? `${max} min` : `${min}–${max} min`;
}

/** The goroutine dump summarised: states, workers, flags, the largest identical stacks. Pure. */
export function renderGoroutines(summary: GoroutineSummary, style: Style, source: string): string {
  const lines: string[] = [];
  lines.push(`${style.bold(String(summary.total))} goroutines in ${escapeControl(source)}`);
  const states = borderlessTable(['STATE', 'GOROUTINES', 'WAITING ≥1 MIN', 'LONGEST'], style);
  for (const s of summary.byState) {
    states.push([
      s.state,
      String(s.count),
      String(s.waitingMinutes),
      s.maxWaitMinutes > 0 ? `${s.maxWaitMinutes} min` : '-',
    ]);
  }
  lines.push('', trimLines(states.toString()));
  const w = summary.workers;
  if (w.total > 0) {
    lines.push(
      '',
      `reconcile workers: ${w.total} · idle ${w.idle} · busy ${w.busy}${w.busyBlocked > 0 ? ` (${w.busyBlocked} of them blocked)` : ''}`,
    );
  }
  if (summary.flags.length > 0) {
    lines.push('');
    for (const flag of summary.flags) {
      lines.push(
        `${flag.severity === 'warning' ? style.yellow('warning:') : style.cyan('note:')} ${escapeControl(flag.message)}`,
      );
    }
  }
  lines.push('', style.bold('largest groups of identical stacks'));
  for (const group of summary.stacks) {
    const wait = waitText(group.minWaitMinutes, group.maxWaitMinutes);
    const worker = group.worker ? ` · ${group.worker} worker${group.count > 1 ? 's' : ''}` : '';
    lines.push(
      '',
      `${style.bold(String(group.count))} × [${escapeControl(stateText(group.states))}${wait ? `, ${wait}` : ''}]${worker}`,
    );
    const shown = group.frames.slice(0, 6);
    for (const frame of shown) {
      const mark = frame === group.where ? style.cyan('→ ') : '  ';
      lines.push(`  ${mark}${escapeControl(frame.fn)}  ${style.dim(escapeControl(frame.at))}`);
    }
    if (group.frames.length > shown.length)
      lines.push(style.dim(`    … ${group.frames.length - shown.length} more frames`));
    if (group.createdBy) lines.push(style.dim(`    created by ${escapeControl(group.createdBy.fn)}`));
  }
  return `${lines.join('\n')}\n`;
}
