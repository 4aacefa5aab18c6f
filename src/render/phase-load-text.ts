import type { PhaseLoad } from '../report/sections/phase-load.js';
import { formatMs } from '../util/duration.js';

/** The terminal summary of an update or delete phase: counts, latencies, failure reasons. Formats only. */
export function renderPhaseLoadText(load: PhaseLoad): string {
  const c = load.counts;
  const done = load.verb === 'update' ? 'reconciled and ready' : 'gone';
  const lines = [
    `${load.verb}: ${c.sent} of ${load.selected} sent at ${load.requestedRate}/s: ${c.ready} ${done}, ${c.failed} failed, ${c.timedOut} timed out, ${c.interrupted} interrupted${c.notStarted > 0 ? `, ${c.notStarted} not started` : ''}`,
    `  request   p50 ${formatMs(load.latency.request.p50)}  p99 ${formatMs(load.latency.request.p99)}`,
    `  ${load.verb === 'update' ? 'to ready ' : 'to gone  '} p50 ${formatMs(load.latency.done.p50)}  p99 ${formatMs(load.latency.done.p99)}  max ${formatMs(load.latency.done.max)}`,
  ];
  if (load.deprovisioningSeen !== undefined)
    lines.push(`  deprovisioning seen on ${load.deprovisioningSeen}`);
  if (load.retries > 0)
    lines.push(
      `  retries ${load.retries} (${Object.entries(load.errors)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')})`,
    );
  for (const [reason, count] of Object.entries(load.failureReasons)) lines.push(`  ${count} × ${reason}`);
  return `${lines.join('\n')}\n`;
}
