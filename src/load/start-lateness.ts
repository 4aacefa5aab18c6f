import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, recordMs, summarize } from '../report/histogram.js';
import { cpuWaitShare, LATE_STRETCH_MS, type Pacing } from '../report/sections/pacing.js';
import type { CpuWaitClock } from './cpu-wait.js';

/**
 * The open-loop generator's lateness, start by start: every start's actual − intended send in a
 * histogram, and the stretches of consecutive starts more than LATE_STRETCH_MS late, each with the time
 * vitictl's thread waited for a CPU from the last on-time start to its end. A stall delays the starts
 * behind it too, so a stretch counts once, at its largest lateness; the wait is capped at that (the
 * thread may wait again while it catches up, and that is not more lateness).
 */
export class StartLateness {
  private readonly histogram: Histogram = newHistogram();
  private stretches = 0;
  private stretchMs = 0;
  private waitedMs = 0;
  private open: { largest: number; waited: number } | undefined;
  private lastWait: number | undefined;

  constructor(private readonly clock: CpuWaitClock | null) {
    this.lastWait = clock?.read();
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
    if (late > LATE_STRETCH_MS) {
      this.open ??= { largest: 0, waited: 0 };
      this.open.largest = Math.max(this.open.largest, late);
      this.open.waited += waited;
    } else this.close();
  }

  private close(): void {
    if (!this.open) return;
    this.stretches++;
    this.stretchMs += this.open.largest;
    this.waitedMs += Math.min(this.open.waited, this.open.largest);
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
    };
  }
}
