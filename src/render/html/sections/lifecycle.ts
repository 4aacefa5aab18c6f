import type { LatencySummary } from '../../../report/histogram.js';
import type { LifecycleRow } from '../../lifecycle-rows.js';
import { count, ms } from '../format.js';
import { type Html, html } from '../markup.js';
import { note, section, table } from '../parts.js';

const percentiles = (latency: LatencySummary) =>
  latency.count === 0
    ? ['–', '–', '–', '–']
    : [ms(latency.p50), ms(latency.p90), ms(latency.p99), ms(latency.max)];

/** The phases after the creates: each one's counts, and its latencies with what they measure. */
export function lifecycleSection(rows: LifecycleRow[]): Html {
  const counts = table(
    ['phase', 'load', 'sent', 'done', 'failed', 'timed out', 'interrupted or not started'],
    rows.map((row) => [
      row.phase,
      row.load,
      count(row.sent),
      count(row.done),
      count(row.failed),
      count(row.timedOut),
      count(row.interrupted),
    ]),
    'num',
  );
  const latencies = table(
    ['phase', 'latency', 'p50', 'p90', 'p99', 'max'],
    rows.flatMap((row) => [
      [row.phase, row.latencyLabel, ...percentiles(row.latency)],
      ...row.also.map((also) => [row.phase, also.label, ...percentiles(also.latency)]),
    ]),
    'num',
  );
  const notes = rows.flatMap((row) => row.notes.map((text) => note(`${row.phase}: ${text}`)));
  return section('lifecycle', 'Lifecycle phases', [
    html`<p>Every object a phase sent ends in one state: done (updated and ready, gone, created again and ready, or a read answered), failed with the reason, timed out, or interrupted.</p>`,
    counts,
    latencies,
    notes,
  ]);
}
