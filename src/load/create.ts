import { type ApiResource, resourcePath } from '../kube/discovery.js';
import { RUN_ID_LABEL } from '../kube/labels.js';
import { type KubeRest, statusMessage } from '../kube/rest.js';
import { type RetryCounters, requestWithRetry } from '../kube/retry.js';
import { isPlainObject } from '../util/plain-object.js';

export type CreateOutcome =
  | {
      ok: true;
      ackAt: number;
      /** the final attempt alone: what the API server took to answer it */
      lastAttemptMs: number;
      creationTimestamp: string | undefined;
      attempts: number;
      /** time this create spent waiting on 429s */
      throttledMs: number;
    }
  | { ok: false; reason: string; attempts: number; throttledMs: number };

/**
 * Create one object, retrying what is transient (src/kube/retry.ts) until the object's deadline. A 409
 * after a retry is resolved by reading the object back: ours (same run id) means our earlier attempt
 * succeeded.
 */
export async function createWithRetry(
  rest: KubeRest,
  resource: ApiResource,
  object: { metadata: { name: string; namespace?: string } },
  runId: string,
  deadline: number,
  counters: RetryCounters,
  signal: AbortSignal,
): Promise<CreateOutcome> {
  const answer = await requestWithRetry(
    rest,
    'POST',
    resourcePath(resource, object.metadata.namespace),
    { body: JSON.stringify(object), timeoutMs: 30_000 },
    { deadline, counters, signal },
  );
  if (!answer.ok)
    return { ok: false, reason: answer.reason, attempts: answer.attempts, throttledMs: answer.throttledMs };
  const { response, attempts, throttledMs } = answer;
  const ackAt = performance.now();
  const lastAttemptMs = ackAt - answer.lastSentAt;
  if (response.status === 201 || response.status === 200 || response.status === 202) {
    const meta =
      isPlainObject(response.body) && isPlainObject(response.body.metadata) ? response.body.metadata : {};
    return {
      ok: true,
      ackAt,
      lastAttemptMs,
      creationTimestamp: typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : undefined,
      attempts,
      throttledMs,
    };
  }
  counters.errors.set(String(response.status), (counters.errors.get(String(response.status)) ?? 0) + 1);
  if (response.status === 409 && attempts > 1) {
    const read = await requestWithRetry(
      rest,
      'GET',
      resourcePath(resource, object.metadata.namespace, object.metadata.name),
      { timeoutMs: 30_000 },
      { deadline, counters, signal },
    );
    const existing = read.ok ? read.response : { status: 0, body: undefined };
    const labels =
      isPlainObject(existing.body) && isPlainObject(existing.body.metadata)
        ? existing.body.metadata.labels
        : undefined;
    if (existing.status === 200 && isPlainObject(labels) && labels[RUN_ID_LABEL] === runId) {
      const meta = (existing.body as { metadata: { creationTimestamp?: string } }).metadata;
      return {
        ok: true,
        ackAt: performance.now(),
        lastAttemptMs,
        creationTimestamp: meta.creationTimestamp,
        attempts,
        throttledMs,
      };
    }
  }
  return { ok: false, reason: `${response.status}: ${statusMessage(response)}`, attempts, throttledMs };
}
