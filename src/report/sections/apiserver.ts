import { z } from 'zod';

/**
 * The apiserver section of a RunResult: the API server's (and etcd's) own metrics over the load's
 * window, from counter increases and histogram bucket deltas between scrapes. Latencies in ms; null
 * where the served metrics had no sample in the window.
 */

const ms = () => z.number().nullable();

export const sliCheckSchema = z.object({
  /** mutating: POST/PUT/PATCH/DELETE; reads: GET of one object; LISTs by scope */
  name: z.enum(['mutating', 'reads', 'list-namespace', 'list-cluster']),
  requests: z.number(),
  p99Ms: ms(),
  thresholdMs: z.number(),
  verdict: z.enum(['pass', 'fail', 'no-data']),
});
export type SliCheck = z.infer<typeof sliCheckSchema>;

export const apiserverSectionSchema = z.object({
  /** the API server scraped (its URL) and etcd's metrics URL when one was scraped */
  target: z.string(),
  etcdTarget: z.string().nullable(),
  windowSeconds: z.number(),
  scrapes: z.number().int(),
  failures: z.number().int(),
  /** one line naming why the last scrape failed, when any did */
  lastFailure: z.string().optional(),
  /** every request the API server served in the window (apiserver_request_total increase) */
  requests: z.number(),
  mutatingRequests: z.number(),
  /** per verb × resource, busiest first (at most 20) */
  byVerbResource: z.array(
    z.object({
      verb: z.string(),
      resource: z.string(),
      requests: z.number(),
      perSecond: z.number(),
      p50Ms: ms(),
      p99Ms: ms(),
    }),
  ),
  /** the API call latency SLIs and their thresholds */
  sli: z.object({
    source: z.enum(['apiserver_request_sli_duration_seconds', 'apiserver_request_duration_seconds']),
    checks: z.array(sliCheckSchema),
    /** every LIST, both scopes */
    listP99Ms: ms(),
  }),
  flowControl: z.object({
    /** null: the server serves no API Priority and Fairness metrics */
    rejected: z.number().nullable(),
    rejectedBy: z.array(z.object({ priorityLevel: z.string(), reason: z.string(), requests: z.number() })),
    waitP99Ms: z.array(z.object({ priorityLevel: z.string(), p99Ms: ms(), requests: z.number() })),
    seatsSource: z.string().nullable(),
    seatsMax: z.array(z.object({ priorityLevel: z.string(), seats: z.number() })),
  }),
  inflight: z.object({ mutatingMax: z.number().nullable(), readOnlyMax: z.number().nullable() }),
  etcd: z.object({
    /** etcd_request_duration_seconds at the API server: every storage call */
    requestP99Ms: ms(),
    commitP99Ms: ms(),
    fsyncP99Ms: ms(),
  }),
  /**
   * every request of a mutating verb, webhooks included (apiserver_request_duration_seconds: the SLI
   * family leaves webhook time out); null when none was served
   */
  mutatingMeanMs: ms().default(null),
  /**
   * the API server's process: mean cores used over the window, GOMAXPROCS (the cores it may use), and
   * how long its goroutines waited for a core (go_sched_latencies_seconds p99): on a host whose cores
   * others take, a server waits there before it uses all of its own
   */
  cpu: z
    .object({
      cores: z.number().nullable(),
      gomaxprocs: z.number().nullable(),
      schedWaitP99Ms: ms().default(null),
    })
    .default({ cores: null, gomaxprocs: null, schedWaitP99Ms: null }),
  /** the admission webhooks the API server called in the window, slowest mean first */
  admissionWebhooks: z
    .array(
      z.object({
        name: z.string(),
        /** validating or admit (mutating) */
        type: z.string(),
        requests: z.number(),
        perSecond: z.number(),
        meanMs: z.number(),
        p99Ms: ms(),
        /** calls that rejected the request */
        rejected: z.number(),
      }),
    )
    .default([]),
  watchEvents: z.array(z.object({ resource: z.string(), perSecond: z.number() })),
  objectsSource: z.string().nullable(),
  objects: z.array(z.object({ resource: z.string(), count: z.number() })),
  /** per scrape interval (t: seconds since the load began, at the interval's end) */
  series: z.array(
    z.object({
      t: z.number(),
      requestsPerSecond: z.number(),
      mutatingP99Ms: ms(),
      inflight: z.number().nullable(),
    }),
  ),
});
export type ApiServerSection = z.infer<typeof apiserverSectionSchema>;
