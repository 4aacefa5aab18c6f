import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiResource, resourcePath } from '../kube/discovery.js';
import { type KubeRest, NetworkError, statusMessage } from '../kube/rest.js';
import { RUN_ID_LABEL } from '../scenario/expand.js';
import { isPlainObject } from '../scenario/json-schema.js';

export type CreateOutcome =
  | { ok: true; ackAt: number; attemptMs: number; creationTimestamp: string | undefined; attempts: number }
  | { ok: false; reason: string; attempts: number };

export interface CreateCounters {
  /** "429", "500", "refused", "reset" … → count, for every attempt that did not succeed */
  errors: Map<string, number>;
  retries: number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

function bump(counters: CreateCounters, key: string): void {
  counters.errors.set(key, (counters.errors.get(key) ?? 0) + 1);
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * Create one object, retrying what the server or the network says is transient: 429 (honouring
 * Retry-After), 5xx, refused and reset connections (an API server restart), with capped exponential
 * backoff until the object's deadline. A 409 after a retry is resolved by reading the object back:
 * ours (same run id) means our earlier attempt succeeded. Every non-success is counted.
 */
export async function createWithRetry(
  rest: KubeRest,
  resource: ApiResource,
  object: { metadata: { name: string; namespace?: string } },
  runId: string,
  deadline: number,
  counters: CreateCounters,
  signal: AbortSignal,
): Promise<CreateOutcome> {
  const path = resourcePath(resource, object.metadata.namespace);
  const body = JSON.stringify(object);
  let backoff = 50;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    let waitMs: number;
    try {
      const response = await rest.request('POST', path, { body, timeoutMs: 30_000 });
      const now = performance.now();
      if (response.status === 201 || response.status === 200 || response.status === 202) {
        const meta =
          isPlainObject(response.body) && isPlainObject(response.body.metadata) ? response.body.metadata : {};
        return {
          ok: true,
          ackAt: now,
          attemptMs: now - started,
          creationTimestamp: typeof meta.creationTimestamp === 'string' ? meta.creationTimestamp : undefined,
          attempts: attempt,
        };
      }
      bump(counters, String(response.status));
      last = `${response.status}: ${statusMessage(response)}`;
      if (response.status === 409 && attempt > 1) {
        const existing = await rest.request(
          'GET',
          resourcePath(resource, object.metadata.namespace, object.metadata.name),
          { timeoutMs: 30_000 },
        );
        const labels =
          isPlainObject(existing.body) && isPlainObject(existing.body.metadata)
            ? existing.body.metadata.labels
            : undefined;
        if (existing.status === 200 && isPlainObject(labels) && labels[RUN_ID_LABEL] === runId) {
          const meta = (existing.body as { metadata: { creationTimestamp?: string } }).metadata;
          return {
            ok: true,
            ackAt: performance.now(),
            attemptMs: now - started,
            creationTimestamp: meta.creationTimestamp,
            attempts: attempt,
          };
        }
      }
      if (!RETRYABLE_STATUS.has(response.status)) {
        return { ok: false, reason: `${response.status}: ${statusMessage(response)}`, attempts: attempt };
      }
      waitMs = response.status === 429 ? (retryAfterMs(response.headers['retry-after']) ?? backoff) : backoff;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      bump(counters, error.failure);
      last = `${error.failure} (${error.code})`;
      if (error.failure === 'tls' || error.failure === 'dns')
        return { ok: false, reason: `${error.code}: ${error.message}`, attempts: attempt };
      waitMs = backoff;
    }
    if (signal.aborted) return { ok: false, reason: 'interrupted while retrying', attempts: attempt };
    if (performance.now() + waitMs > deadline) {
      return {
        ok: false,
        reason: `gave up after ${attempt} attempts (timeout); last: ${last}`,
        attempts: attempt,
      };
    }
    counters.retries++;
    await sleep(waitMs * (0.8 + Math.random() * 0.4));
    backoff = Math.min(backoff * 2, 5000);
  }
}
