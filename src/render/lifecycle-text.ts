import { formatMs } from '../util/duration.js';
import type { LifecycleRow } from './lifecycle-rows.js';

const percentiles = (latency: LifecycleRow['latency']) =>
  latency.count === 0
    ? '-'
    : `p50 ${formatMs(latency.p50)}  p90 ${formatMs(latency.p90)}  p99 ${formatMs(latency.p99)}  max ${formatMs(latency.max)}`;

/** The terminal summary of one `vitictl update|delete|churn|read`: counts, latencies, reasons. Formats only. */
export function renderLifecycleRowText(row: LifecycleRow): string {
  const lines = [
    `${row.load}: ${row.sent} sent: ${row.done} done, ${row.failed} failed, ${row.timedOut} timed out, ${row.interrupted} interrupted or not started`,
    `  ${row.latencyLabel}: ${percentiles(row.latency)}`,
    ...row.also.map((also) => `  ${also.label}: ${percentiles(also.latency)}`),
    ...row.notes.map((note) => `  ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}
