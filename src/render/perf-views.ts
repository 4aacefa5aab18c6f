import type { RunResult } from '../report/run-result.js';
import { formatMs } from '../util/duration.js';
import { lifecycleRows } from './lifecycle-rows.js';
import { renderApplySummary } from './run-views.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';
import { renderWebhookSummary } from './webhook-views.js';

/** The terminal report of a perf run: the run summary, stress steps, gates and the verdict. Pure. */
export function renderPerf(result: RunResult, files: string[], style: Style): string {
  const lines = [renderApplySummary(result, style).trimEnd()];
  if (result.webhook) lines.push(renderWebhookSummary(result.webhook, style).trimEnd());
  const lifecycle = lifecycleRows(result);
  if (lifecycle.length > 0) {
    const table = borderlessTable(
      [
        'PHASE',
        'LOAD',
        'SENT',
        'DONE',
        'FAILED',
        'TIMED OUT',
        'INTERRUPTED/NOT STARTED',
        'p50/p90/p99',
        'MEASURES',
      ],
      style,
    );
    for (const row of lifecycle)
      table.push([
        row.phase,
        row.load,
        String(row.sent),
        String(row.done),
        row.failed > 0 ? style.red(String(row.failed)) : '0',
        row.timedOut > 0 ? style.red(String(row.timedOut)) : '0',
        String(row.interrupted),
        row.latency.count === 0
          ? '-'
          : `${formatMs(row.latency.p50)} / ${formatMs(row.latency.p90)} / ${formatMs(row.latency.p99)}`,
        row.latencyLabel,
      ]);
    lines.push(trimLines(table.toString()));
    for (const row of lifecycle)
      for (const text of row.notes) lines.push(style.dim(`  ${row.phase}: ${text}`));
  }
  if (result.mergedFrom)
    lines.push(
      `merged from ${result.mergedFrom.length} shards: ${result.mergedFrom.map((m) => m.file).join(', ')}`,
    );
  if (result.stress) {
    const table = borderlessTable(['RATE', 'OBJECTS', 'READY p99', 'ACHIEVED', 'FAILED', 'SLO'], style);
    for (const step of result.stress.steps) {
      table.push([
        `${step.rate}/s`,
        String(step.objects),
        formatMs(step.readyP99Ms),
        `${step.achievedRate}/s`,
        String(step.failed),
        step.metSlo ? style.green('met') : style.red('broken'),
      ]);
    }
    lines.push(
      `stress (${result.stress.slo}): knee ${result.stress.knee === null ? 'none' : `${result.stress.knee}/s`}`,
      trimLines(table.toString()),
    );
  }
  const tune = result.tune;
  if (tune) {
    const changed = tune.recommendations.filter((r) => r.changed);
    lines.push(`tune: ${tune.diagnosis.message}`);
    if (changed.length > 0)
      lines.push(
        `  recommends ${changed.map((r) => `${r.knob} ${String(r.current ?? '-')} → ${String(r.recommended)}`).join(', ')}`,
      );
  }
  const gates = result.gates ?? [];
  if (gates.length > 0) {
    const table = borderlessTable(['GATE', 'RESULT', ''], style);
    for (const gate of gates)
      table.push([gate.gate, gate.message, gate.passed ? style.green('pass') : style.red('FAIL')]);
    lines.push(trimLines(table.toString()));
  }
  if (result.overhead)
    lines.push(
      style.dim(
        `vitictl CPU ${result.overhead.cpuSeconds.toFixed(1)}s over ${result.overhead.wallSeconds.toFixed(1)}s (${(result.overhead.share * 100).toFixed(1)}%)`,
      ),
    );
  if (files.length > 0) lines.push(style.dim(`wrote ${files.join(', ')}`));
  const failed = gates.filter((g) => !g.passed).length;
  lines.push(
    result.interrupted
      ? style.yellow('INTERRUPTED')
      : result.shard
        ? `SHARD ${result.shard.index}/${result.shard.count} DONE: ${gates.length - failed} of ${gates.length} gates met on this part; the run passes or fails when the shards are merged`
        : failed > 0
          ? style.red(`FAILED: ${failed} of ${gates.length} gates`)
          : style.green(`PASSED: ${gates.length} gates`),
  );
  return `${lines.join('\n')}\n`;
}
