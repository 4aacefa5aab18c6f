import type { RetryCounters } from '../../kube/retry.js';
import { summarize } from '../../report/histogram.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import type { PhaseTracker, PhaseVerb } from './phase-tracker.js';

const MAX_FAILURES = 100;

/** The phase's section of the RunResult, from its tracker: counts, histograms, failures by reason. */
export function summarizePhase(
  tracker: PhaseTracker,
  context: { verb: PhaseVerb; requestedRate: number; selected: number; counters: RetryCounters },
): PhaseLoad {
  const objects = tracker.all();
  const count = (state: string) => objects.filter((object) => object.state === state).length;
  const failures: PhaseLoad['failures'] = [];
  const failureReasons: Record<string, number> = {};
  for (const object of objects) {
    if (object.state !== 'failed' && object.state !== 'timedOut') continue;
    const reason = object.reason ?? object.state;
    failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
    if (failures.length >= MAX_FAILURES) continue;
    const [namespace, name] = object.key.split('/') as [string, string];
    failures.push({ name, ...(namespace ? { namespace } : {}), state: object.state, reason });
  }
  return {
    verb: context.verb,
    requestedRate: context.requestedRate,
    selected: context.selected,
    counts: {
      sent: objects.length,
      ready: count('ready'),
      failed: count('failed'),
      timedOut: count('timedOut'),
      interrupted: count('interrupted') + count('inFlight'),
      notStarted: context.selected - objects.length,
    },
    latency: { request: summarize(tracker.request), done: summarize(tracker.done) },
    ...(context.verb === 'delete'
      ? { deprovisioningSeen: objects.filter((object) => object.deprovisioningSeen).length }
      : {}),
    errors: Object.fromEntries(context.counters.errors),
    retries: context.counters.retries,
    failures,
    failureReasons,
  };
}
