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

/** how long a create may take for the warmed connections to carry an open-loop rate without opening more */
const WARM_FOR_MS = 50;

/**
 * How many connections to open before the first start: an open loop at R/s has R × (create latency)
 * creates in flight, counted for creates of up to WARM_FOR_MS (slower answers open more connections
 * as they would anyway); a closed loop its concurrency; never more than the pool opens.
 */
export function connectionsToWarm(
  load: { mode: 'open'; rate: number } | { mode: 'closed'; concurrency: number },
  poolConnections: number,
): number {
  const wanted = load.mode === 'open' ? Math.ceil((load.rate * WARM_FOR_MS) / 1000) : load.concurrency;
  return Math.min(wanted, poolConnections);
}
