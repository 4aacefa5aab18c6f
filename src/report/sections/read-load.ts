import { z } from 'zod';
import { latencySummarySchema } from '../histogram.js';

/**
 * What a read phase measured (`phases[].read`): LIST and GET load on the API server, to put the
 * controller under read pressure while another phase runs. Counts add up to the requests sent.
 */

const int = () => z.number().int().nonnegative();

export const READ_KINDS = ['list', 'cachedList', 'get'] as const;
export type ReadKind = (typeof READ_KINDS)[number];

export const readLoadSchema = z.object({
  /** open loop: the requested rate (per second) */
  requestedRate: z.number().positive(),
  /** requests sent per second of the phase */
  achievedRate: z.number().nonnegative(),
  seconds: z.number().nonnegative(),
  /**
   * sent = ok + notFound + failed + interrupted; a paginated LIST counts once, its pages in `pages`;
   * notFound: a GET of an object churned or deleted meanwhile (answered, so timed, and not a failure)
   */
  counts: z.object({ sent: int(), ok: int(), notFound: int(), failed: int(), interrupted: int() }),
  /** by kind: list (from etcd, paginated), cachedList (resourceVersion=0), get */
  byKind: z.record(z.enum(READ_KINDS), z.object({ sent: int(), ok: int(), latency: latencySummarySchema })),
  /** every read, a paginated LIST from its first page to its last */
  latency: latencySummarySchema,
  pages: int(),
  itemsListed: int(),
  errors: z.record(z.string(), int()),
  retries: int(),
});
export type ReadLoad = z.infer<typeof readLoadSchema>;
