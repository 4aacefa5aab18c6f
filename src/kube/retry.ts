import { setTimeout as sleep } from 'node:timers/promises';
import { type KubeRest, NetworkError, type RequestInit, type RestResponse } from './rest.js';

/** Answers worth another attempt: throttled (429) or a server that failed or is restarting (5xx). */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** Failure counts by HTTP status ("429", "503") or network failure ("refused", "reset"), and retries. */
export interface RetryCounters {
  errors: Map<string, number>;
  retries: number;
  /** time spent waiting because the server answered 429 (Retry-After, or backoff when it named none) */
  throttledMs: number;
  /** the latest failed attempt: why ("refused (ECONNREFUSED)", "HTTP 503") and when (performance.now()) */
  lastFailure?: { why: string; at: number };
}

export function newRetryCounters(): RetryCounters {
  return { errors: new Map(), retries: 0, throttledMs: 0 };
}

export type RetriedResponse =
  | {
      ok: true;
      response: RestResponse;
      attempts: number;
      /** when the final attempt was sent (performance.now()) */
      lastSentAt: number;
      /** 429 waits for this request, in ms */
      throttledMs: number;
    }
  | {
      ok: false;
      reason: string;
      attempts: number;
      throttledMs: number;
      interrupted: boolean;
      /** the last failure as it came: a retryable answer (503, 429) or the network failure */
      last?: { response: RestResponse } | { error: NetworkError };
    };

export interface RetryPolicy {
  /** performance.now() after which no new attempt starts */
  deadline: number;
  counters: RetryCounters;
  signal?: AbortSignal | undefined;
  /** first backoff; doubles up to maxBackoffMs (default 50 ms → 5 s) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** before each wait: why the attempt failed ("HTTP 503", "refused (ECONNREFUSED)") */
  onRetry?: (why: string, waitMs: number) => void;
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(60_000, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.min(60_000, Math.max(0, date - Date.now())) : undefined;
}

function bump(counters: RetryCounters, key: string, why: string): void {
  counters.errors.set(key, (counters.errors.get(key) ?? 0) + 1);
  counters.lastFailure = { why, at: performance.now() };
}

/**
 * One API request, retried on what the server or the network says is transient: 429 (honouring
 * Retry-After), 5xx, refused/reset connections and timeouts (an API server restarting), with capped
 * exponential backoff and jitter until the deadline. Any other answer (2xx, 4xx) is returned as is.
 * TLS and DNS failures are not transient and end at once. Every failed attempt is counted.
 */
export async function requestWithRetry(
  rest: KubeRest,
  method: string,
  path: string,
  init: RequestInit,
  policy: RetryPolicy,
): Promise<RetriedResponse> {
  let backoff = policy.initialBackoffMs ?? 50;
  const maxBackoff = policy.maxBackoffMs ?? 5000;
  let throttledMs = 0;
  let last = '';
  let lastFailure: { response: RestResponse } | { error: NetworkError } | undefined;
  for (let attempt = 1; ; attempt++) {
    const sentAt = performance.now();
    let waitMs: number;
    let throttled = false;
    try {
      const response = await rest.request(method, path, init);
      if (!RETRYABLE_STATUS.has(response.status))
        return { ok: true, response, attempts: attempt, lastSentAt: sentAt, throttledMs };
      last = `HTTP ${response.status}`;
      bump(policy.counters, String(response.status), last);
      lastFailure = { response };
      throttled = response.status === 429;
      waitMs = throttled ? (retryAfterMs(response.headers['retry-after']) ?? backoff) : backoff;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      // cut short by the interrupt: no failure of the server, so not counted; the check below ends it
      const cutShort = policy.signal?.aborted === true;
      if (!cutShort) {
        last = `${error.failure} (${error.code})`;
        bump(policy.counters, error.failure, last);
        lastFailure = { error };
      }
      if (!cutShort && (error.failure === 'tls' || error.failure === 'dns'))
        return {
          ok: false,
          reason: `${error.code}: ${error.message}`,
          attempts: attempt,
          throttledMs,
          interrupted: false,
          last: lastFailure,
        };
      waitMs = backoff;
    }
    if (policy.signal?.aborted)
      return {
        ok: false,
        reason: 'interrupted while retrying',
        attempts: attempt,
        throttledMs,
        interrupted: true,
        last: lastFailure,
      };
    if (performance.now() + waitMs > policy.deadline)
      return {
        ok: false,
        reason: `gave up after ${attempt} attempts (timeout); last: ${last}`,
        attempts: attempt,
        throttledMs,
        interrupted: false,
        last: lastFailure,
      };
    policy.counters.retries++;
    // Retry-After is a minimum; our own backoff is spread both ways so clients do not move in step
    const jittered = throttled ? waitMs * (1 + Math.random() * 0.2) : waitMs * (0.8 + Math.random() * 0.4);
    policy.onRetry?.(last, jittered);
    if (throttled) {
      throttledMs += jittered;
      policy.counters.throttledMs += jittered;
    }
    await sleep(jittered);
    backoff = Math.min(backoff * 2, maxBackoff);
  }
}
