import { z } from 'zod';
import { latencySummarySchema } from '../histogram.js';

/**
 * What an update, delete or churn phase measured, kept on the run's phase entry (`phases[].load`):
 * counts that add up to the objects sent, the request latency and the time until the controller
 * finished. A churn cycle deletes objects and creates them again: an object counts as ready when it
 * is back and ready, and as failed or timed out at whichever step stopped it.
 */

const int = () => z.number().int().nonnegative();

export const phaseLoadSchema = z.object({
  verb: z.enum(['update', 'delete', 'churn']),
  /** open loop: the requested rate (per second) */
  requestedRate: z.number().positive(),
  /** the objects of the run the phase chose (update, delete: the share; churn: the share, every cycle) */
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
    /** update: answer → the new generation reconciled and ready; delete: answer → DELETED event; churn: create sent → ready */
    done: latencySummarySchema,
    /** churn: the DELETE answered → gone, before the object is created again */
    gone: latencySummarySchema.optional(),
  }),
  /** churn: the cycles that started */
  cycles: int().optional(),
  /**
   * churn: deleted, then not created again because the run was interrupted (the create never sent,
   * or cut short before an answer): the run has that many fewer objects than it had
   */
  notCreatedAgain: int().optional(),
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
