import type { Histogram } from 'hdr-histogram-js';
import { newHistogram } from '../report/histogram.js';
import type { Checked, ResponseClass } from './check-response.js';

/** apiserver_admission_webhook_admission_duration_seconds buckets (upper bounds, seconds) */
export const APISERVER_BUCKETS_S = [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25] as const;
const BOUNDS_US = APISERVER_BUCKETS_S.map((s) => s * 1e6);
const HIGHEST_US = 3_600_000_000;

/**
 * What one measured phase saw, shared by both engines: the µs HDR histogram, exact counts per
 * API-server bucket, counts per class and per failure reason.
 */
export class Tally {
  readonly histogram: Histogram = newHistogram();
  /** non-cumulative; the last slot is +Inf */
  readonly buckets: number[] = new Array(APISERVER_BUCKETS_S.length + 1).fill(0);
  readonly classes: Record<ResponseClass, number> = {
    okAllowed: 0,
    okDenied: 0,
    httpError: 0,
    timeout: 0,
    wouldFail: 0,
  };
  readonly reasons = new Map<string, number>();
  deniedWithoutStatus = 0;
  patched = 0;
  warnings = 0;

  /** calls that ended, timed or not */
  ended = 0;

  record(latencyUs: number, checked: Checked): void {
    this.histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(latencyUs))));
    let slot = 0;
    while (slot < BOUNDS_US.length && latencyUs > (BOUNDS_US[slot] as number)) slot++;
    this.buckets[slot] = (this.buckets[slot] as number) + 1;
    this.count(checked);
  }

  /** a call that ended without a time we can trust (autocannon's connection errors) */
  count(checked: Checked): void {
    this.ended++;
    this.classes[checked.class]++;
    if (checked.reason !== undefined)
      this.reasons.set(checked.reason, (this.reasons.get(checked.reason) ?? 0) + 1);
    if (checked.deniedWithoutStatus) this.deniedWithoutStatus++;
    if (checked.patched) this.patched++;
    if (checked.warnings) this.warnings += checked.warnings;
  }
}
