import type { Histogram } from 'hdr-histogram-js';
import type { RetryCounters } from '../../kube/retry.js';
import { summarize } from '../../report/histogram.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import type { PhaseObject, PhaseTracker } from './phase-tracker.js';

const MAX_FAILURES = 100;

/**
 * The outcome of every object a phase sent, counted as each one ends: a churn's many cycles are
 * tallied one after another without keeping their objects.
 */
export class PhaseTally {
  readonly counts: PhaseLoad['counts'] = {
    sent: 0,
    ready: 0,
    failed: 0,
    timedOut: 0,
    interrupted: 0,
    notStarted: 0,
  };
  readonly failures: PhaseLoad['failures'] = [];
  readonly failureReasons: Record<string, number> = {};
  deprovisioningSeen = 0;

  add(object: PhaseObject): void {
    this.counts.sent++;
    if (object.deprovisioningSeen) this.deprovisioningSeen++;
    if (object.state === 'ready') this.counts.ready++;
    else if (object.state === 'interrupted' || object.state === 'inFlight') this.counts.interrupted++;
    else {
      this.counts[object.state]++;
      const reason = object.reason ?? object.state;
      this.failureReasons[reason] = (this.failureReasons[reason] ?? 0) + 1;
      if (this.failures.length >= MAX_FAILURES) return;
      const [namespace, name] = object.key.split('/') as [string, string];
      this.failures.push({ name, ...(namespace ? { namespace } : {}), state: object.state, reason });
    }
  }
}

export interface PhaseSummaryContext {
  verb: PhaseLoad['verb'];
  requestedRate: number;
  selected: number;
  counters: RetryCounters;
}

/** The phase's section of the RunResult: counts, histograms, failures by reason. */
export function phaseLoad(
  tally: PhaseTally,
  histograms: { request: Histogram; done: Histogram; gone?: Histogram },
  context: PhaseSummaryContext & { cycles?: number; notCreatedAgain?: number },
): PhaseLoad {
  return {
    verb: context.verb,
    requestedRate: context.requestedRate,
    selected: context.selected,
    counts: { ...tally.counts, notStarted: context.selected - tally.counts.sent },
    latency: {
      request: summarize(histograms.request),
      done: summarize(histograms.done),
      ...(histograms.gone ? { gone: summarize(histograms.gone) } : {}),
    },
    ...(context.verb === 'delete' ? { deprovisioningSeen: tally.deprovisioningSeen } : {}),
    ...(context.cycles !== undefined ? { cycles: context.cycles } : {}),
    ...(context.notCreatedAgain !== undefined ? { notCreatedAgain: context.notCreatedAgain } : {}),
    errors: Object.fromEntries(context.counters.errors),
    retries: context.counters.retries,
    failures: tally.failures,
    failureReasons: tally.failureReasons,
  };
}

/** One update or delete phase's section, from its tracker. */
export function summarizePhase(tracker: PhaseTracker, context: PhaseSummaryContext): PhaseLoad {
  const tally = new PhaseTally();
  for (const object of tracker.all()) tally.add(object);
  return phaseLoad(tally, tracker, context);
}
