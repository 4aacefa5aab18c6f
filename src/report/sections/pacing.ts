import { z } from 'zod';
import { latencySummarySchema } from '../histogram.js';

/**
 * An open-loop generator's own lateness (apply's creates, the webhook bench's reviews): is a late start
 * the generator's, or a busy host's?
 */
/** A start later than this is part of a late stretch (the lateness a p99 target is about). */
export const LATE_STRETCH_MS = 5;

export const pacingSchema = z.object({
  /** ms: actual send − intended start, every start */
  lateness: latencySummarySchema,
  /** runs of consecutive starts more than 5 ms late, and the sum of each one's largest lateness */
  lateStretches: z.number().int(),
  lateStretchMs: z.number(),
  /** ms of those stretches the generator's thread was runnable and not run by the OS (Linux); null elsewhere */
  cpuWaitMs: z.number().nullable(),
  /** cpuWaitMs / lateStretchMs */
  cpuWaitShare: z.number().nullable(),
  /** the calls the generator keeps unanswered at most (a memory bound); at it, the next start waits */
  inFlightLimit: z.number().int().optional(),
  /** ms of the late stretches the generator held its start at that limit (the target answered slower) */
  inFlightWaitMs: z.number().optional(),
});
export type Pacing = z.infer<typeof pacingSchema>;

export function cpuWaitShare(cpuWaitMs: number | null, lateStretchMs: number): number | null {
  return cpuWaitMs === null || lateStretchMs <= 0 ? null : +(cpuWaitMs / lateStretchMs).toFixed(3);
}
