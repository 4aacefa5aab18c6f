/**
 * Open-loop pacing: a token bucket refilled continuously at `rate` per second with capacity `burst`.
 * Requests are released on an even schedule (one every 1/rate s), not in per-second bursts; after a
 * stall at most `burst` go at once to catch up. Times are on the monotonic clock (performance.now()).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0)) throw new Error('rate must be > 0');
    if (!(burst >= 1)) throw new Error('burst must be >= 1');
    // start with one token: the first request goes at once, then the even schedule
    this.tokens = 1;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }

  /** Take a token if one is there; otherwise how many ms until one will be. */
  take(now: number): { ok: true } | { ok: false; waitMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, waitMs: ((1 - this.tokens) * 1000) / this.rate };
  }
}
