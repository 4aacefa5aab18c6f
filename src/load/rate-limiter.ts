/**
 * Open-loop pacing on an absolute, even schedule (wrk2's approach): start k is due at
 * base + k/rate. A start that is late (timer granularity, a busy event loop) is followed by the next
 * ones as soon as they are due, so the average rate holds. When the generator falls more than `burst`
 * intervals behind, the schedule slips forward instead of releasing a flood: at most burst + 1 starts
 * go back to back, and the slip is counted. Times are on the monotonic clock (performance.now()).
 */
export class EvenSchedule {
  private readonly interval: number;
  private base: number;
  private k = 0;
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
  }

  /** Start the schedule afresh (after waiting for dependencies: that pause is not lateness). */
  restart(now: number): void {
    this.base = now;
    this.k = 0;
  }

  /** The next start: wait this long, or go now (with the time it was due). */
  next(now: number): { go: false; waitMs: number } | { go: true; intended: number } {
    const due = this.base + this.k * this.interval;
    if (now < due) return { go: false, waitMs: due - now };
    if (now - due > this.burst * this.interval) {
      // the starts after this one are scheduled from now; this one keeps its true lateness
      this.base = now - this.k * this.interval;
      this.slips++;
    }
    this.k++;
    return { go: true, intended: due };
  }
}

/** Starts the schedule may catch up at once after a stall: a tenth of a second's worth, at least one. */
export function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 10));
}
