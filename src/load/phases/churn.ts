import { setTimeout as sleep } from 'node:timers/promises';
import { asCreated } from '../../kube/as-created.js';
import { newRetryCounters } from '../../kube/retry.js';
import type { WatchedObject } from '../../kube/watch.js';
import { newHistogram } from '../../report/histogram.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import { objectKey } from './phase-tracker.js';
import { listRunObjects, type PhaseRunOptions, trackObjects } from './run-phase.js';
import { PhaseTally, phaseLoad } from './summary.js';

export interface ChurnOptions extends Omit<PhaseRunOptions, 'verb' | 'patch'> {
  /** a cycle starts this often, or as soon as the previous one ended */ periodMs: number;
  /** stop after this many cycles, or when no cycle may start after durationMs; default 3 cycles */
  cycles?: number | undefined;
  durationMs?: number | undefined;
}

export const DEFAULT_CHURN_CYCLES = 3;

/**
 * Churn, as kube-burner names it: every period, delete a share of the run's objects, wait until they
 * are gone, create them again as their creator wrote them (src/kube/as-created.ts), and wait until
 * they are ready. Each cycle
 * takes the next share of the objects, so successive cycles churn different ones. Every object of
 * every cycle is timed and ends in one state.
 */
export async function runChurn(options: ChurnOptions): Promise<PhaseLoad> {
  const objects = await listRunObjects(options);
  const perCycle = Math.min(objects.length, Math.ceil(objects.length * options.share));
  const tally = new PhaseTally();
  const request = newHistogram();
  const gone = newHistogram();
  const done = newHistogram();
  const counters = newRetryCounters();
  const maxCycles = options.cycles ?? (options.durationMs === undefined ? DEFAULT_CHURN_CYCLES : Infinity);
  const began = performance.now();
  let cycles = 0;
  let selected = 0;
  let notCreatedAgain = 0;
  while (
    perCycle > 0 &&
    !options.signal.aborted &&
    cycles < maxCycles &&
    (options.durationMs === undefined || performance.now() - began < options.durationMs)
  ) {
    const cycleStart = performance.now();
    const first = (cycles * perCycle) % objects.length;
    const chosen = [...objects.slice(first), ...objects.slice(0, first)].slice(0, perCycle);
    cycles++;
    selected += chosen.length;
    const deleted = await trackObjects({ ...options, verb: 'delete' }, chosen, counters);
    request.add(deleted.tracker.request);
    gone.add(deleted.tracker.done);
    const byKey = new Map(chosen.map((object) => [objectKey(object), object]));
    const again: WatchedObject[] = [];
    for (const record of deleted.tracker.all()) {
      if (record.state === 'ready') again.push(asCreated(byKey.get(record.key)!));
      else tally.add(record);
    }
    const created = await trackObjects({ ...options, verb: 'create' }, again, counters);
    request.add(created.tracker.request);
    done.add(created.tracker.done);
    for (const record of created.tracker.all()) tally.add(record);
    // gone, and Ctrl-C came before it was created again
    const recreated = new Set(created.tracker.all().map((record) => record.key));
    for (const object of again)
      if (!recreated.has(objectKey(object))) {
        tally.add({ key: objectKey(object), state: 'interrupted', sentAt: cycleStart });
        notCreatedAgain++;
      }
    for (const record of created.tracker.all())
      if (record.ackAt === undefined && (record.state === 'interrupted' || record.state === 'inFlight'))
        notCreatedAgain++;
    const nextCycle = cycleStart + options.periodMs;
    if (cycles >= maxCycles) break;
    if (options.durationMs !== undefined && nextCycle - began >= options.durationMs) break;
    const wait = nextCycle - performance.now();
    // Ctrl-C ends the wait; the loop's condition then ends the churn
    if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => {});
  }
  return phaseLoad(
    tally,
    { request, done, gone },
    { verb: 'churn', requestedRate: options.rate, selected, counters, cycles, notCreatedAgain },
  );
}
