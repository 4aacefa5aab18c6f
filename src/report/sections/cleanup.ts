import { z } from 'zod';

/**
 * What deleting a run's objects did (`cleanup` in run.json, and `vitictl cleanup -o json`): counts
 * that add up to what carried the run's label, and what is still there.
 */

export const cleanupResultSchema = z.object({
  /** objects carrying the run's label when cleanup began: deleted + alreadyGone + failed */
  found: z.number().int().nonnegative().optional(),
  deleted: z.number().int(),
  alreadyGone: z.number().int(),
  /** objects whose DELETE still failed after retries */
  failed: z.number().int(),
  /** failed attempts by HTTP status or network failure, retried ones included */
  errors: z.record(z.string(), z.number().int()).default({}),
  retries: z.number().int().default(0),
  namespacesDeleted: z.array(z.string()),
  namespacesFailed: z.array(z.string()).default([]),
  /** at most 1,000 names of what was still there at the end */
  leftBehind: z.array(z.string()),
  /** how many were still there (leftBehind names only the first 1,000) */
  leftBehindCount: z.number().int().nonnegative().optional(),
  /** what kept cleanup from finishing or from confirming the result, one line each */
  problems: z.array(z.string()).default([]),
  seconds: z.number(),
  /**
   * the namespaces this run created, from their DELETE until none was left, or until the wait ended
   * (timedOut: those still there are in leftBehind as namespaces/<name>); absent when none was deleted
   */
  namespacesWait: z.object({ seconds: z.number(), timedOut: z.boolean() }).optional(),
  note: z.string().optional(),
  /**
   * `vitictl cleanup` stopped by Ctrl-C or SIGTERM: no DELETE was started after it, the kinds not yet
   * listed and the namespaces were left; found − deleted − alreadyGone − failed were not deleted
   */
  interrupted: z.boolean().optional(),
  /** interrupted: DELETEs sent whose answer the interrupt cut short (the server may have carried them out) */
  cutShort: z.number().int().nonnegative().optional(),
});
export type CleanupResult = z.infer<typeof cleanupResultSchema>;

/** True when objects of the run may still be in the cluster (or cleanup could not tell). */
export function cleanupIncomplete(cleanup: CleanupResult): boolean {
  return (
    cleanup.interrupted === true ||
    cleanup.failed > 0 ||
    cleanup.leftBehind.length > 0 ||
    (cleanup.leftBehindCount ?? 0) > 0 ||
    cleanup.namespacesFailed.length > 0 ||
    cleanup.problems.length > 0
  );
}
