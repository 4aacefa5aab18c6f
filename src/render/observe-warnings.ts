import type { ObserveTarget, RunResult } from '../report/run-result.js';

/** One line for a metrics target that never answered, with the last cause and what to check. */
export function unansweredTargetLine(target: ObserveTarget): string {
  const last = target.lastFailure;
  // an interrupted run abandons the scrapes in flight: none may have ended at all
  const ended =
    target.failures > 0 ? `${target.failures} scrapes failed` : 'no scrape ended before the run stopped';
  return (
    `metrics target ${target.target} never answered (${ended}${last ? `, last: ${last.reason}` : ''}): no controller signals from it` +
    (last ? `; hint: ${last.hint}` : '')
  );
}

/** The run's metrics targets without a single successful scrape, one line each. */
export function unansweredTargets(result: Pick<RunResult, 'observe'>): string[] {
  return (result.observe?.targets ?? []).filter((t) => t.scrapes === 0).map(unansweredTargetLine);
}
