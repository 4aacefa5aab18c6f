import {
  type ApplyResult,
  type CleanupResult,
  cleanupIncomplete,
  type GroundTruth,
} from '../report/run-result.js';

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
