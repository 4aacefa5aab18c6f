import type { ApplyResult, GroundTruth } from '../report/run-result.js';
import { type CleanupResult, cleanupIncomplete } from '../report/sections/cleanup.js';
import { LATE_STRETCH_MS, type Pacing } from '../report/sections/pacing.js';
import { formatMs } from '../util/duration.js';

/** "retries 12 (9 objects, up to 3 attempts; 4 throttled for 1.2 s in all)": what the client paid to be heard. */
export function retryText(apply: Pick<ApplyResult, 'retries' | 'attempts'>): string {
  const { retriedObjects, maxAttempts, throttledObjects, throttledSeconds } = apply.attempts;
  if (apply.retries === 0) return 'retries 0';
  const throttled =
    throttledObjects > 0
      ? `; ${throttledObjects} throttled (429) for ${throttledSeconds.toFixed(1)} s in all`
      : '';
  return `retries ${apply.retries} (${retriedObjects} objects, up to ${maxAttempts} attempts${throttled})`;
}

/** A share of the late time at or above this names its cause: the host's CPUs, or the target. */
const CAUSE_SHARE = 0.5;

/** What an open loop's calls are, by the flag that sets its rate. */
const CALLS = {
  '--qps': { calls: 'creates', target: 'the API server' },
  '--rate': { calls: 'reviews', target: 'the webhook' },
} as const;

/**
 * "start lateness p50 0.0ms, p99 14ms (max 54ms) · 43 stretches > 5 ms late, 436ms; vitictl waited
 * for a CPU 259ms of it (59%)", and whose the lateness was: the target's when the generator mostly
 * held its starts with its in-flight limit reached, the host's when vitictl mostly waited for a CPU,
 * else vitictl's own event loop.
 */
export function pacingText(
  pacing: Pacing,
  context: { rateFlag: '--qps' | '--rate'; scrapedApiServer: boolean },
): { text: string; warning: string | undefined } {
  const l = pacing.lateness;
  let text = `start lateness p50 ${formatMs(l.p50)}, p99 ${formatMs(l.p99)} (max ${formatMs(l.max)})`;
  if (pacing.lateStretches === 0) return { text, warning: undefined };
  text += ` · ${pacing.lateStretches} stretches > ${LATE_STRETCH_MS} ms late, ${formatMs(pacing.lateStretchMs)}`;
  if (pacing.cpuWaitMs !== null && pacing.cpuWaitShare !== null)
    text += `; vitictl waited for a CPU ${formatMs(pacing.cpuWaitMs)} of it (${Math.round(100 * pacing.cpuWaitShare)}%)`;
  const { calls, target } = CALLS[context.rateFlag];
  const held = pacing.inFlightWaitMs ?? 0;
  if (held > 0)
    text += `; held with ${pacing.inFlightLimit} ${calls} unanswered ${formatMs(held)} (${Math.round((100 * held) / pacing.lateStretchMs)}%)`;
  let warning: string | undefined;
  if (held >= CAUSE_SHARE * pacing.lateStretchMs)
    warning = `late starts: mostly held back with ${pacing.inFlightLimit} ${calls} unanswered: ${target} answered slower than ${context.rateFlag} asked (lower ${context.rateFlag})`;
  else if (pacing.cpuWaitShare !== null)
    warning =
      pacing.cpuWaitShare >= CAUSE_SHARE
        ? `late starts: mostly waiting for a CPU, the host's were busy (run vitictl on cores the API server and etcd do not use: another machine, or taskset -c on this one; or lower ${context.rateFlag}${context.scrapedApiServer ? "; scraping the API server's metrics takes CPU too: --no-apiserver-metrics" : ''})`
        : "late starts: vitictl's own event loop (answers arriving in bursts, garbage collection)";
  return { text, warning };
}

/**
 * One line for a cleanup: what was found and what became of it. Incomplete cleanups say so first and
 * name the problems, so "deleted 57" never reads as success.
 */
export function cleanupText(cleanup: CleanupResult): string {
  const c = cleanup;
  const gone =
    c.namespacesWait && !c.namespacesWait.timedOut
      ? ` (gone in ${c.namespacesWait.seconds.toFixed(1)}s)`
      : '';
  const namespaces =
    c.namespacesDeleted.length > 0 ? ` and ${c.namespacesDeleted.length} namespaces${gone}` : '';
  const errors = Object.entries(c.errors);
  const retried =
    c.retries > 0 ? ` · ${c.retries} retries (${errors.map(([code, n]) => `${code}×${n}`).join(', ')})` : '';
  if (!cleanupIncomplete(c))
    return `cleanup: deleted ${c.deleted} objects${namespaces} in ${c.seconds.toFixed(1)}s${c.alreadyGone > 0 ? ` (${c.alreadyGone} already gone)` : ''}${retried}`;
  const left = c.leftBehindCount ?? c.leftBehind.length;
  const parts = [
    ...(c.interrupted
      ? [`interrupted${c.cutShort ? ` (${c.cutShort} deletes cut short: maybe done)` : ''}`]
      : []),
    ...(c.found === undefined ? [] : [`found ${c.found}`]),
    `deleted ${c.deleted}`,
    ...(c.alreadyGone > 0 ? [`${c.alreadyGone} already gone`] : []),
    ...(c.failed > 0 ? [`${c.failed} failed`] : []),
    ...(left > 0 ? [`${left} left behind`] : []),
    ...(c.namespacesFailed.length > 0 ? [`${c.namespacesFailed.length} namespaces not deleted`] : []),
    ...(c.namespacesWait?.timedOut
      ? [`namespaces still there after ${c.namespacesWait.seconds.toFixed(1)}s`]
      : []),
  ];
  const problems = c.problems.length > 0 ? `; ${c.problems.slice(0, 3).join('; ')}` : '';
  return `cleanup incomplete: ${parts.join(', ')} in ${c.seconds.toFixed(1)}s${retried}${problems}`;
}

/** How the audit-log split was made, and how much of the run it covers. */
export function groundTruthNote(truth: GroundTruth): string {
  return (
    `Split at the API server's audit log (${truth.source}): ${truth.matched} ready objects matched to the status write that made them ready` +
    `${truth.unmatched > 0 ? `, ${truth.unmatched} not found in the log` : ''}` +
    `${truth.readBeforeLogged > 0 ? `; ${truth.readBeforeLogged} events were read before the server logged the write complete (timed as 0)` : ''}.`
  );
}
