import { z } from 'zod';
import { latencySummarySchema } from '../histogram.js';
import { pacingSchema } from './pacing.js';

/**
 * The webhook section of a RunResult: measured figures only, latencies in µs from HDR histograms
 * (encoded, so shards merge exactly), counts that add up to the requests sent.
 */

const int = () => z.number().int();

/** webhook latencies are sub-millisecond: kept in µs */
const latencyUs = latencySummarySchema.extend({ unit: z.literal('us') });

export const classCountsSchema = z.object({
  okAllowed: int(),
  okDenied: int(),
  httpError: int(),
  timeout: int(),
  wouldFail: int(),
});

export const webhookResultSchema = z.object({
  target: z.object({
    /** scheme, host, port and path; never user info or query */
    url: z.string(),
    /** the Validating/MutatingWebhookConfiguration and webhook it came from (--webhook) */
    configuration: z.string().nullable(),
    webhook: z.string().nullable(),
    type: z.enum(['validating', 'mutating']),
    failurePolicy: z.enum(['Fail', 'Ignore']),
    timeoutSeconds: int(),
  }),
  tls: z.object({
    /** every connection verified (open loop), only the preflight (closed loop: autocannon cannot), or none */
    verified: z.enum(['every-connection', 'preflight-only', 'none']),
    insecureSkipTlsVerify: z.boolean(),
    caOrigin: z.string(),
    serverName: z.string(),
    protocol: z.string(),
    cipher: z.string(),
    clientCertificate: z.boolean(),
    peer: z.object({
      subject: z.string(),
      issuer: z.string(),
      validFrom: z.string(),
      validTo: z.string(),
      subjectAltName: z.string(),
    }),
    handshakeMs: z.number(),
  }),
  engine: z.enum(['open-loop', 'closed-loop']),
  load: z.object({
    requestedRate: z.number().nullable(),
    connections: int(),
    /** open loop: starts per second between the first and the last start; closed loop: answers/s */
    achievedRate: z.number(),
    /** answers per second, first start to last answer */
    throughput: z.number(),
    durationSeconds: z.number(),
    warmupSeconds: z.number(),
    operations: z.object({ CREATE: int(), UPDATE: int(), DELETE: int() }),
    dryRun: int(),
    objects: int(),
  }),
  requests: z.object({
    sent: int(),
    /** ended calls: classified below */
    ended: int(),
    /** sent but never answered before the run stopped (cut off at the end) */
    unanswered: int(),
  }),
  counts: classCountsSchema,
  allowed: int(),
  denied: int(),
  deniedWithoutStatus: int(),
  patched: int(),
  warnings: int(),
  /** why calls failed (HTTP status, network class, the API server's check), by count */
  errors: z.record(z.string(), int()),
  failurePolicy: z.object({
    policy: z.enum(['Fail', 'Ignore']),
    /** requests the API server would admit / reject on this webhook's word (failed calls per policy) */
    admitted: int(),
    rejected: int(),
    failedCalls: int(),
  }),
  latency: latencyUs,
  /** open loop: answer − actual send (wrk2's uncorrected latency), to tell the generator's lag from the webhook's */
  latencyUncorrected: latencyUs.nullable(),
  /** cumulative counts per apiserver_admission_webhook_admission_duration_seconds bucket */
  apiServerBuckets: z.array(z.object({ le: z.union([z.number(), z.literal('+Inf')]), count: int() })),
  generator: z.object({
    keptUp: z.boolean(),
    lateStarts: int().nullable(),
    maxStartLagMs: z.number().nullable(),
    /** actual send − intended start: timer granularity (~1 ms) and a busy event loop show here */
    startLagP50Ms: z.number().nullable(),
    startLagP99Ms: z.number().nullable(),
    /** open loop: the lateness histogram and how much of it the host's CPUs caused (files before it: absent) */
    pacing: pacingSchema.nullable().optional(),
    maxStartsIn10ms: int().nullable(),
    evenShareIn10ms: z.number().nullable(),
    cpuMs: z.number(),
    cpuMsPer1000Requests: z.number(),
  }),
  /** closed loop: autocannon's own percentiles (1 ms resolution), beside ours */
  autocannonLatencyMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).nullable(),
  latencyMethod: z.string(),
  notes: z.array(z.string()),
});
export type WebhookResult = z.infer<typeof webhookResultSchema>;
