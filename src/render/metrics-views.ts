import type { Exposition } from '../observe/metrics/model.js';
import type { Signals } from '../report/sections/signals.js';
import { formatMs } from '../util/duration.js';
import { escapeControl } from '../util/escape-control.js';
import type { Style } from './style.js';
import { alignedColumns, borderlessTable, trimLines } from './table.js';

const num = (value: number | null | undefined, digits = 2) =>
  value === null || value === undefined || Number.isNaN(value)
    ? '-'
    : Number.isFinite(value)
      ? value.toFixed(digits)
      : String(value);
const seconds = (value: number | null | undefined) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : formatMs(value * 1000);
const bytes = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : `${(value / 2 ** 20).toFixed(1)}MiB`;
const pct = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;

export function renderSignals(all: Signals[], style: Style): string {
  const lines: string[] = [];
  for (const signals of all) {
    lines.push(
      `${style.bold(escapeControl(signals.target))} · window ${signals.windowSeconds.toFixed(1)}s over ${signals.scrapes} scrapes`,
    );
    if (signals.controllers.length > 0) {
      const table = borderlessTable(
        [
          'CONTROLLER',
          'λ/s',
          'X/s',
          'S̄',
          'S p95',
          'W',
          'ρ',
          'W̄q',
          'DEPTH mean/max',
          'LITTLE GAP',
          'ERRORS',
          'REQUEUES',
        ],
        style,
      );
      for (const c of signals.controllers) {
        table.push([
          c.controller,
          num(c.arrivalRate),
          num(c.throughput),
          seconds(c.serviceMean),
          seconds(c.serviceP95),
          c.workers === null ? '-' : String(c.workers),
          num(c.utilization),
          seconds(c.queueWaitMean),
          `${num(c.queueDepthMean, 1)} / ${num(c.queueDepthMax, 0)}`,
          pct(c.littlesLawGap),
          pct(c.errorShare),
          pct(c.requeueShare),
        ]);
      }
      lines.push(trimLines(table.toString()));
    }
    const p = signals.process;
    lines.push(
      `process: cpu ${num(p.cpuCores)} cores · rss mean ${bytes(p.rssMeanBytes)} p95 ${bytes(p.rssP95Bytes)} max ${bytes(p.rssMaxBytes)} · heap ${bytes(p.heapLiveBytes)} · ` +
        `gc cpu ${pct(p.gcCpuShare)} · goroutines ${num(p.goroutinesMean, 0)} (slope ${num(p.goroutineSlopePerMinute, 1)}/min) · ` +
        `rest ${num(p.restRequestsPerSecond)}/s, ${num(p.restRequestsPerReconcile)} per reconcile, 429 ${num(p.rest429PerSecond)}/s`,
    );
    if (signals.vitistack) {
      const v = signals.vitistack;
      lines.push(
        `vitistack: cache hit ratio ${pct(v.cacheHitRatio)} · api call mean ${seconds(v.apiCallMean)} · queue depth mean ${num(v.queueDepthMean, 1)}`,
      );
    }
    for (const flag of signals.flags)
      lines.push(
        style.yellow(`note: ${flag.signal}: ${flag.message}${flag.fix ? ` (fix: ${flag.fix})` : ''}`),
      );
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The families of an exposition, the first `limit` of them (0: all), then a line saying how many more. */
export function renderExposition(exposition: Exposition, style: Style, limit: number): string {
  const families = [...exposition.families.values()];
  const shown = limit === 0 ? families : families.slice(0, limit);
  const rows = shown.map((family) => [
    family.name,
    family.type,
    String(family.samples.length),
    String(family.samples.filter((s) => s.exemplar).length),
    (family.help ?? '').slice(0, 60),
  ]);
  const more = families.length - shown.length;
  const lines = [alignedColumns(['FAMILY', 'TYPE', 'SAMPLES', 'EXEMPLARS', 'HELP'], rows, style)];
  if (more > 0)
    lines.push(style.dim(`… ${more} more families: --limit 0 shows all, -o json gives every sample`));
  lines.push(`${exposition.format} · ${exposition.families.size} families`);
  for (const p of exposition.problems)
    lines.push(style.yellow(`line ${p.line}${p.column ? `:${p.column}` : ''}: ${escapeControl(p.message)}`));
  return `${lines.join('\n')}\n`;
}
