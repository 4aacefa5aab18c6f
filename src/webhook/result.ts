import type { WebhookResult } from '../report/sections/webhook.js';
import { APISERVER_BUCKETS_S } from './tally.js';

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
