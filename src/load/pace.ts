import { setTimeout as sleep } from 'node:timers/promises';
import type { EvenSchedule } from './rate-limiter.js';

/**
 * Waiting for an open-loop start, shared by the apply engine and the webhook generator. Timers fire
 * on whole milliseconds and about 1 ms late, and that lag shows as start lateness (and, for the
 * webhook, as latency). With nothing in flight there is nothing to miss, so the last stretch is a
 * precise blocking wait; otherwise the event loop must stay free: a timer that wakes a little early,
 * then turns of the event loop until the start is due.
 */

/** the longest blocking wait, only ever taken with nothing in flight */
const PRECISE_MS = 2;
/** a futex wake takes ~0.1 ms on a busy VM: block for most of the wait, spin the rest */
const SPIN_MS = 0.15;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Wait `waitMs` (the schedule's answer); `idle` when nothing is in flight. */
export async function waitUntilDue(waitMs: number, idle: boolean): Promise<void> {
  if (idle && waitMs <= PRECISE_MS) {
    const due = performance.now() + waitMs;
    if (waitMs > SPIN_MS) Atomics.wait(pause, 0, 0, waitMs - SPIN_MS);
    while (performance.now() < due) {}
    return;
  }
  if (idle) await sleep(waitMs - PRECISE_MS);
  // wake a little early (a timer fires late, never early), then yield until it is due
  else if (waitMs > 1.5) await sleep(waitMs - 1);
  else await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The intended time of the schedule's next start, once it is due. */
export async function nextStart(schedule: EvenSchedule, idle: () => boolean): Promise<number> {
  for (;;) {
    const step = schedule.next(performance.now());
    if (step.go) return step.intended;
    await waitUntilDue(step.waitMs, idle());
  }
}
