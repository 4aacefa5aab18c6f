import { describe, expect, it } from 'vitest';
import { newRetryCounters } from '../kube/retry.js';
import type { PhaseObjectState } from '../load/phases/phase-tracker.js';
import { PhaseTally, phaseLoad } from '../load/phases/summary.js';
import { newHistogram, recordMs, summarize } from './histogram.js';
import { mergePhaseEntries } from './merge-phases.js';
import type { RunResult } from './run-result.js';
import type { PhaseLoad } from './sections/phase-load.js';
import type { ReadLoad } from './sections/read-load.js';

/** A churn phase of one shard: objects in the given states, done latencies as given. */
function churn(states: PhaseObjectState[], doneMs: number[], rate: number): PhaseLoad {
  const tally = new PhaseTally();
  for (const [i, state] of states.entries())
    tally.add({
      key: `ns/m-${rate}-${i}`,
      state,
      sentAt: 0,
      reason: state === 'ready' ? undefined : `${state} reason`,
    });
  const done = newHistogram();
  for (const ms of doneMs) recordMs(done, ms);
  const gone = newHistogram();
  recordMs(gone, 5);
  const counters = newRetryCounters();
  counters.errors.set('409', 1);
  return phaseLoad(
    tally,
    { request: newHistogram(), done, gone },
    {
      verb: 'churn',
      requestedRate: rate,
      selected: states.length + 1,
      counters,
      cycles: 2,
    },
  );
}

function read(ms: number[], rate: number): ReadLoad {
  const all = newHistogram();
  for (const value of ms) recordMs(all, value);
  const latency = summarize(all);
  const empty = summarize(newHistogram());
  return {
    requestedRate: rate,
    achievedRate: rate,
    seconds: 10,
    counts: { sent: ms.length + 1, ok: ms.length, notFound: 0, failed: 1, interrupted: 0 },
    byKind: {
      list: { sent: 0, ok: 0, latency: empty },
      cachedList: { sent: 0, ok: 0, latency: empty },
      get: { sent: ms.length + 1, ok: ms.length, latency },
    },
    latency,
    pages: 0,
    itemsListed: 0,
    errors: { '503': 1 },
    retries: 2,
  };
}

const entry = (name: string, start: string, end: string, measured: Partial<RunResult['phases'][number]>) => ({
  name,
  start,
  end,
  seconds: (Date.parse(end) - Date.parse(start)) / 1000,
  ...measured,
});

describe('merging the lifecycle phases of shards', () => {
  it('adds counts, rates and errors, merges the histograms exactly, and spans the union of the windows', () => {
    const shard0 = [
      entry('churn', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.000Z', {
        load: churn(['ready', 'ready', 'timedOut'], [100, 200], 10),
      }),
      entry('read', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.000Z', { read: read([1, 2, 3], 5) }),
    ];
    const shard1 = [
      entry('churn', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:12.000Z', {
        load: churn(['ready', 'failed'], [900], 10),
      }),
      entry('read', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:09.000Z', { read: read([4], 5) }),
    ];
    const [merged, reads] = mergePhaseEntries([{ phases: shard0 }, { phases: shard1 }] as RunResult[]);
    expect(merged).toMatchObject({ name: 'churn', seconds: 12 });
    const load = merged!.load!;
    expect(load.counts).toEqual({ sent: 5, ready: 3, failed: 1, timedOut: 1, interrupted: 0, notStarted: 2 });
    expect(load).toMatchObject({ requestedRate: 20, selected: 7, cycles: 2, errors: { '409': 2 } });
    expect(load.failureReasons).toEqual({ 'timedOut reason': 1, 'failed reason': 1 });
    // as if one process had recorded every value
    const all = newHistogram();
    for (const ms of [100, 200, 900]) recordMs(all, ms);
    const { count, p50, p90, p99, max } = summarize(all);
    expect(load.latency.done).toMatchObject({ count, p50, p90, p99, max });
    expect(load.latency.gone!.count).toBe(2);
    expect(reads!.read).toMatchObject({
      requestedRate: 10,
      counts: { sent: 6, ok: 4, failed: 2 },
      errors: { '503': 2 },
      retries: 4,
    });
    expect(reads!.read!.latency.count).toBe(4);
    expect(reads!.read!.byKind.get.sent).toBe(6);
  });

  it('keeps phases without measurements (preflight, cleanup) as windows only', () => {
    const [cleanup] = mergePhaseEntries([
      { phases: [entry('cleanup', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:02.000Z', {})] },
      { phases: [entry('cleanup', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:03.000Z', {})] },
    ] as RunResult[]);
    expect(cleanup).toEqual({
      name: 'cleanup',
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-01T00:00:03.000Z',
      seconds: 3,
    });
  });
});
