import { describe, expect, it } from 'vitest';
import { compileReadiness } from '../../kube/readiness.js';
import { newRetryCounters } from '../../kube/retry.js';
import { parseFieldPath } from '../../util/field-path.js';
import { observedGeneration, PhaseTracker } from './phase-tracker.js';
import { summarizePhase } from './summary.js';

const check = compileReadiness({
  field: { path: '.status.phase', equals: 'Running' },
  failed: { field: { path: '.status.phase', equals: 'Failed' } },
  failureMessagePath: '.status.failureMessage',
});
const ANNOTATION = parseFieldPath(".metadata.annotations['lab.vitictl.io/observed-generation']");

const machine = (phase: string, observed?: number, extra: Record<string, unknown> = {}) => ({
  metadata: {
    name: 'm1',
    namespace: 'ns',
    generation: 2,
    ...(observed === undefined
      ? {}
      : { annotations: { 'lab.vitictl.io/observed-generation': String(observed) } }),
    ...extra,
  },
  status: { phase, failureMessage: 'disk stuck' },
});

const tracker = (verb: 'update' | 'delete') =>
  new PhaseTracker({ verb, check, observedGenerationPath: ANNOTATION, timeoutMs: 1000 });

describe('update accounting', () => {
  it('is done only when the patched generation is reconciled and ready, timed from the answer', () => {
    const t = tracker('update');
    t.sent('ns/m1', 100);
    t.answered('ns/m1', 100, 110, machine('Running', 1));
    t.observe('MODIFIED', machine('Running', 1), 120); // still the old generation: not done
    t.observe('MODIFIED', machine('Creating', 2), 130); // new generation, not ready yet
    expect(t.inFlight).toBe(1);
    t.observe('MODIFIED', machine('Running', 2), 160);
    expect(t.all()[0]!.state).toBe('ready');
    expect(t.done.totalCount).toBe(1);
    expect(Math.round(t.done.mean / 1000)).toBe(50);
  });

  it('decides an event that came before the answer once the answer is there', () => {
    const t = tracker('update');
    t.sent('ns/m1', 100);
    t.observe('MODIFIED', machine('Running', 2), 105);
    t.answered('ns/m1', 100, 110, machine('Running', 1));
    expect(t.all()[0]!.state).toBe('ready');
  });

  it('fails with the reason, and times out what never finishes', () => {
    const t = tracker('update');
    t.sent('ns/m1', 0);
    t.answered('ns/m1', 0, 1, machine('Running', 1));
    t.observe('MODIFIED', machine('Failed', 2), 2);
    expect(t.all()[0]).toMatchObject({ state: 'failed', reason: 'disk stuck' });
    const u = tracker('update');
    u.sent('ns/m1', 0);
    u.answered('ns/m1', 0, 1, machine('Running', 1));
    u.sweep(500);
    expect(u.inFlight).toBe(1);
    u.sweep(1001);
    expect(u.all()[0]).toMatchObject({
      state: 'timedOut',
      reason: 'generation 2 not reconciled and ready after 1s',
    });
  });
});

describe('delete accounting', () => {
  it('is done at DELETED and records the deprovisioning it saw', () => {
    const t = tracker('delete');
    t.sent('ns/m1', 0);
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    t.answered('ns/m1', 0, 5, machine('Running', 1, deleting));
    t.observe('MODIFIED', machine('Terminating', 1, deleting), 10);
    t.observe('DELETED', machine('Terminating', 1, deleting), 40);
    expect(t.all()[0]).toMatchObject({ state: 'ready', deprovisioningSeen: true });
    const summary = summarizePhase(t, {
      verb: 'delete',
      requestedRate: 10,
      selected: 3,
      counters: newRetryCounters(),
    });
    expect(summary.counts).toEqual({
      sent: 1,
      ready: 1,
      failed: 0,
      timedOut: 0,
      interrupted: 0,
      notStarted: 2,
    });
    expect(summary.deprovisioningSeen).toBe(1);
    expect(summary.latency.done.p50).toBeCloseTo(35, 0);
  });

  it('names a held finalizer when it times out, and a failed deprovisioning when it fails', () => {
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    const t = tracker('delete');
    t.sent('ns/m1', 0);
    t.answered('ns/m1', 0, 5, machine('Terminating', 1, deleting));
    t.sweep(2000);
    expect(t.all()[0]!.reason).toBe('not gone after 1s (deprovisioning seen: the finalizer was held)');
    const u = tracker('delete');
    u.sent('ns/m1', 0);
    u.answered('ns/m1', 0, 5, machine('Running', 1, deleting));
    u.observe('MODIFIED', machine('Failed', 1, deleting), 9);
    expect(u.all()[0]).toMatchObject({ state: 'failed', reason: 'deprovisioning: disk stuck' });
  });

  it('counts what Ctrl-C cut short as interrupted, so the counts add up', () => {
    const t = tracker('delete');
    t.sent('ns/m1', 0);
    t.interrupt();
    const s = summarizePhase(t, {
      verb: 'delete',
      requestedRate: 10,
      selected: 1,
      counters: newRetryCounters(),
    });
    expect(s.counts.sent).toBe(s.counts.ready + s.counts.failed + s.counts.timedOut + s.counts.interrupted);
    expect(s.counts.interrupted).toBe(1);
  });
});

it('reads an observed generation from a number or an annotation string', () => {
  expect(
    observedGeneration({ status: { observedGeneration: 3 } }, parseFieldPath('.status.observedGeneration')),
  ).toBe(3);
  expect(observedGeneration(machine('Running', 4), ANNOTATION)).toBe(4);
  expect(observedGeneration(machine('Running'), ANNOTATION)).toBeUndefined();
});
