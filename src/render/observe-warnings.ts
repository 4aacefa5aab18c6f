import type { ObserveTarget, RunResult } from '../report/run-result.js';

/** One line for a metrics target that never answered, with the last cause and what to check. */
export function unansweredTargetLine(target: ObserveTarget): string {
  const last = target.lastFailure;
  return (
    `metrics target ${target.target} never answered (${target.failures} scrapes failed${last ? `, last: ${last.reason}` : ''}): no controller signals from it` +
    (last ? `; hint: ${last.hint}` : '')
  );
}

/** The run's metrics targets without a single successful scrape, one line each. */
export function unansweredTargets(result: Pick<RunResult, 'observe'>): string[] {
  return (result.observe?.targets ?? []).filter((t) => t.scrapes === 0).map(unansweredTargetLine);
}
