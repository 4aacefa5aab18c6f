/** Catching up after a stall, no 100 ms window holds more than this many times the rate's share. */
export const CATCH_UP_FACTOR = 1.2;
const WINDOW_MS = 100;

/**
 * Open-loop pacing on an absolute, even schedule (wrk2's approach): start k is due at
 * base + k/rate. A start that is late (timer granularity, a busy event loop) is followed by the next
 * ones as soon as they are due, so the average rate holds. The catch-up is spread: no 100 ms holds
 * more than CATCH_UP_FACTOR × the rate's share of starts (the server sees a rate at most 20% above
 * the asked one, never a burst). When the generator falls more than `burst` intervals behind, the
 * schedule slips forward instead of carrying the debt on: the slip is counted. Every start keeps its
 * intended time, so the held-back ones show as lateness. Times are on the monotonic clock
 * (performance.now()).
 */
export class EvenSchedule {
  private readonly interval: number;
  private base: number;
  private k = 0;
  /** the last `recent.length` starts, a ring: a start may go when the oldest is a window ago */
  private readonly recent: Float64Array;
  private oldest = 0;
  slips = 0;

  constructor(
    readonly rate: number,
    readonly burst: number,
    start: number,
  ) {
    if (!(rate > 0)) throw new Error('rate must be > 0');
    if (!(burst >= 1)) throw new Error('burst must be >= 1');
    this.interval = 1000 / rate;
    this.base = start;
    const share = (rate * WINDOW_MS) / 1000;
    this.recent = new Float64Array(Math.max(Math.ceil(share), Math.floor(CATCH_UP_FACTOR * share))).fill(
      Number.NEGATIVE_INFINITY,
    );
  }

  /** Start the schedule afresh (after waiting for dependencies: that pause is not lateness). */
  restart(now: number): void {
    this.base = now;
    this.k = 0;
  }

  /** The next start: wait this long, or go now (with the time it was due). */
  next(now: number): { go: false; waitMs: number } | { go: true; intended: number } {
    const due = this.base + this.k * this.interval;
    const allowed = (this.recent[this.oldest] as number) + WINDOW_MS;
    if (now < due || now < allowed) return { go: false, waitMs: Math.max(due, allowed) - now };
    if (now - due > this.burst * this.interval) {
      // the starts after this one are scheduled from now; this one keeps its true lateness
      this.base = now - this.k * this.interval;
      this.slips++;
    }
    this.k++;
    this.recent[this.oldest] = now;
    this.oldest = (this.oldest + 1) % this.recent.length;
    return { go: true, intended: due };
  }
}

/** Starts the schedule may catch up at once after a stall: a tenth of a second's worth, at least one. */
export function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 10));
}
