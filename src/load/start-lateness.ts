import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, recordMs, summarize } from '../report/histogram.js';
import { cpuWaitShare, LATE_STRETCH_MS, type Pacing } from '../report/sections/pacing.js';
import type { CpuWaitClock } from './cpu-wait.js';

/**
 * The open-loop generator's lateness, start by start: every start's actual − intended send in a
 * histogram, and the stretches of consecutive starts more than LATE_STRETCH_MS late, each with the time
 * vitictl's thread waited for a CPU from the last on-time start to its end. A stall delays the starts
 * behind it too, so a stretch counts once, at its largest lateness; the wait is capped at that (the
 * thread may wait again while it catches up, and that is not more lateness). The time the generator
 * held a start because `inFlightLimit` calls were unanswered is counted the same way: then the late
 * start is the target's, which answered slower than the rate asked.
 */
export class StartLateness {
  private readonly histogram: Histogram = newHistogram();
  private stretches = 0;
  private stretchMs = 0;
  private waitedMs = 0;
  private heldMs = 0;
  private open: { largest: number; waited: number; held: number } | undefined;
  private lastWait: number | undefined;
  /** ms held at the in-flight limit, in all, and at the last start */
  private heldTotal = 0;
  private lastHeld = 0;

  constructor(
    private readonly clock: CpuWaitClock | null,
    private readonly inFlightLimit: number,
  ) {
    this.lastWait = clock?.read();
  }

  /** The generator held its next start from `from` to `until`: the limit's calls were all unanswered. */
  held(from: number, until: number): void {
    this.heldTotal += Math.max(0, until - from);
  }

  record(intended: number, sent: number): void {
    const late = sent - intended;
    recordMs(this.histogram, late);
    let waited = 0;
    if (this.clock) {
      const wait = this.clock.read();
      waited = wait - (this.lastWait ?? wait);
      this.lastWait = wait;
    }
    const held = this.heldTotal - this.lastHeld;
    this.lastHeld = this.heldTotal;
    if (late > LATE_STRETCH_MS) {
      this.open ??= { largest: 0, waited: 0, held: 0 };
      this.open.largest = Math.max(this.open.largest, late);
      this.open.waited += waited;
      this.open.held += held;
    } else this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.stretches++;
    this.stretchMs += this.open.largest;
    this.waitedMs += Math.min(this.open.waited, this.open.largest);
    this.heldMs += Math.min(this.open.held, this.open.largest);
    this.open = undefined;
  }

  summary(): Pacing {
    this.close();
    const lateStretchMs = +this.stretchMs.toFixed(1);
    const cpuWaitMs = this.clock ? +this.waitedMs.toFixed(1) : null;
    return {
      lateness: summarize(this.histogram),
      lateStretches: this.stretches,
      lateStretchMs,
      cpuWaitMs,
      cpuWaitShare: cpuWaitShare(cpuWaitMs, lateStretchMs),
      inFlightLimit: this.inFlightLimit,
      inFlightWaitMs: +this.heldMs.toFixed(1),
    };
  }
}
