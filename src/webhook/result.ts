import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { z } from 'zod';
import { newHistogram } from '../report/histogram.js';
import { APISERVER_BUCKETS_S } from './tally.js';

/**
 * The webhook section of a RunResult: measured figures only, latencies in µs from HDR histograms
 * (encoded, so shards merge exactly), counts that add up to the requests sent.
 */

const int = () => z.number().int();

export const latencySummaryUsSchema = z.object({
  unit: z.literal('us'),
  count: int(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  p999: z.number(),
  p9999: z.number(),
  max: z.number(),
  /** HDR histogram (µs values), compressed base64; decode with hdr-histogram-js */
  encoded: z.string(),
});
export type LatencySummaryUs = z.infer<typeof latencySummaryUsSchema>;

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
  latency: latencySummaryUsSchema,
  /** open loop: answer − actual send (wrk2's uncorrected latency), to tell the generator's lag from the webhook's */
  latencyUncorrected: latencySummaryUsSchema.nullable(),
  /** cumulative counts per apiserver_admission_webhook_admission_duration_seconds bucket */
  apiServerBuckets: z.array(z.object({ le: z.union([z.number(), z.literal('+Inf')]), count: int() })),
  generator: z.object({
    keptUp: z.boolean(),
    lateStarts: int().nullable(),
    maxStartLagMs: z.number().nullable(),
    /** actual send − intended start: timer granularity (~1 ms) and a busy event loop show here */
    startLagP50Ms: z.number().nullable(),
    startLagP99Ms: z.number().nullable(),
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

const round = (value: number, digits = 3) => +value.toFixed(digits);

export function summarizeUs(histogram: Histogram): LatencySummaryUs {
  const empty = histogram.totalCount === 0;
  const at = (p: number) => histogram.getValueAtPercentile(p);
  return {
    unit: 'us',
    count: histogram.totalCount,
    min: empty ? 0 : histogram.minNonZeroValue,
    mean: empty ? 0 : round(histogram.mean, 1),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    p9999: at(99.99),
    // the bucket's upper bound, as after a merge (same rule as report/histogram.ts)
    max: at(100),
    encoded: encodeIntoCompressedBase64(histogram),
  };
}

/** Non-cumulative slot counts (last = +Inf) → Prometheus-style cumulative buckets. */
export function cumulativeBuckets(slots: ReadonlyArray<number>): WebhookResult['apiServerBuckets'] {
  let total = 0;
  const out: WebhookResult['apiServerBuckets'] = APISERVER_BUCKETS_S.map((le, index) => {
    total += slots[index] ?? 0;
    return { le, count: total };
  });
  total += slots[APISERVER_BUCKETS_S.length] ?? 0;
  out.push({ le: '+Inf', count: total });
  return out;
}

export const WEBHOOK_METHODS = {
  'webhook.latency.open-loop':
    "answer complete − the request's intended start on the even schedule (wrk2's definition: a stall is latency for every request due during it), client monotonic clock, µs HDR histogram",
  'webhook.latency.closed-loop':
    'answer complete − request handed to the socket, per request (no intended start exists in a closed loop), client monotonic clock, µs HDR histogram; autocannon’s own 1 ms histogram shown beside it',
  'webhook.latencyUncorrected':
    'open loop: answer complete − the actual send (wrk2 -U); corrected minus uncorrected is the generator’s own start lag',
  'webhook.apiServerBuckets':
    'the same latencies counted exactly against apiserver_admission_webhook_admission_duration_seconds bucket bounds (cumulative, le in seconds)',
  'webhook.achievedRate':
    'open loop: (starts − 1) / (last start − first start); closed loop: answers / (first start → last answer)',
  'webhook.counts':
    'every ended call classified as the API server would: HTTP status 200–206, JSON AdmissionReview admission.k8s.io/v1, response.uid = request.uid, patch rules; an answer after timeoutSeconds (from the send) is a timeout',
  'webhook.generator.cpuMsPer1000Requests':
    'process.cpuUsage() over the measured phase (this process: the generator) per 1,000 requests sent',
} as const;

/** Exact merge of µs summaries (shards): decode, add, summarise again. */
export function mergeUsSummaries(summaries: LatencySummaryUs[]): LatencySummaryUs {
  const total = newHistogram();
  for (const summary of summaries) total.add(decodeFromCompressedBase64(summary.encoded, 32, false));
  return summarizeUs(total);
}
