import { z } from 'zod';
import { latencySummarySchema } from '../histogram.js';

/**
 * What an update or delete phase measured, kept on the run's phase entry (`phases[].load`): counts that
 * add up to the requests sent, the request latency and the time until the controller finished.
 */

const int = () => z.number().int().nonnegative();

export const phaseLoadSchema = z.object({
  verb: z.enum(['update', 'delete']),
  /** open loop: the requested rate (per second) */
  requestedRate: z.number().positive(),
  /** the objects of the run the phase chose (update: the share; delete: all) */
  selected: int(),
  /** sent = ready + failed + timedOut + interrupted; notStarted were selected but never sent (Ctrl-C) */
  counts: z.object({
    sent: int(),
    ready: int(),
    failed: int(),
    timedOut: int(),
    interrupted: int(),
    notStarted: int(),
  }),
  latency: z.object({
    /** the PATCH or DELETE request, client clock */
    request: latencySummarySchema,
    /** update: answer → the new generation reconciled and ready; delete: answer → DELETED event */
    done: latencySummarySchema,
  }),
  /** delete: objects seen being deprovisioned (deleted but not yet gone, no longer ready) */
  deprovisioningSeen: int().optional(),
  errors: z.record(z.string(), int()),
  retries: int(),
  /** at most 100, with the reason */
  failures: z.array(
    z.object({
      name: z.string(),
      namespace: z.string().optional(),
      state: z.enum(['failed', 'timedOut']),
      reason: z.string(),
    }),
  ),
  failureReasons: z.record(z.string(), int()),
});
export type PhaseLoad = z.infer<typeof phaseLoadSchema>;
