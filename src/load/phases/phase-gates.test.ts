import { expect, it } from 'vitest';
import { compileReadiness } from '../../kube/readiness.js';
import { newRetryCounters } from '../../kube/retry.js';
import { evaluateGate } from '../../perf/gates/evaluate.js';
import { parseGate } from '../../perf/gates/grammar.js';
import type { RunResult } from '../../report/run-result.js';
import { runResultSchema } from '../../report/run-result.js';
import { parseFieldPath } from '../../util/field-path.js';
import { PhaseTracker } from './phase-tracker.js';
import { summarizePhase } from './summary.js';

function deletePhase(goneAfterMs: number[], heldForever: number) {
  const t = new PhaseTracker({
    verb: 'delete',
    check: compileReadiness({ field: { path: '.status.phase', equals: 'Running' } }),
    observedGenerationPath: parseFieldPath('.status.observedGeneration'),
    timeoutMs: 1000,
  });
  goneAfterMs.forEach((ms, i) => {
    t.sent(`ns/m${i}`, 0);
    t.answered(`ns/m${i}`, 0, 1, undefined);
    t.observe('DELETED', { metadata: { namespace: 'ns', name: `m${i}` } }, 1 + ms);
  });
  for (let i = 0; i < heldForever; i++) {
    t.sent(`ns/h${i}`, 0);
    t.answered(`ns/h${i}`, 0, 1, undefined);
  }
  t.sweep(5000);
  return summarizePhase(t, {
    verb: 'delete',
    requestedRate: 10,
    selected: goneAfterMs.length + heldForever,
    counters: newRetryCounters(),
  });
}

function runWith(load: ReturnType<typeof deletePhase>): RunResult {
  return {
    phases: [{ name: 'delete', start: '', end: '', seconds: 1, load }],
  } as unknown as RunResult;
}

it('gates read the delete phase: delete.p99 and delete.timedOut', () => {
  const run = runWith(deletePhase([100, 100, 100, 900], 1));
  const p99 = evaluateGate(parseGate('delete.p99 < 500ms'), run);
  expect(p99.passed).toBe(false);
  expect(p99.value).toBeCloseTo(900, -1);
  expect(evaluateGate(parseGate('delete.timedOut == 0'), run)).toMatchObject({ passed: false, value: 1 });
  expect(evaluateGate(parseGate('delete.failedRate < 25%'), run)).toMatchObject({ passed: true, value: 20 });
  // a run without an update phase did not measure it
  expect(evaluateGate(parseGate('update.ready.p99 < 1s'), run).value).toBeNull();
});

it('a phase entry with its load is a valid part of a RunResult, and one without still is', () => {
  const phases = runResultSchema.shape.phases;
  expect(phases.safeParse([{ name: 'apply', start: 'a', end: 'b', seconds: 1 }]).success).toBe(true);
  expect(phases.safeParse(runWith(deletePhase([5], 0)).phases).success).toBe(true);
});
