import { setTimeout as sleep } from 'node:timers/promises';
import { VitictlError } from '../../errors.js';
import { NetworkError } from '../../kube/rest.js';
import type { GoRegexp } from '../../util/go-regexp.js';
import { formatBytes, MiB } from '../../util/read-input.js';
import { type BodyLimit, describeFetchFailure, type Target } from '../target.js';
import { parseScrape, targetsDecoder } from './decode.js';
import { fetchBody, ScrapeStatusError } from './fetch-body.js';
import type { Exposition } from './model.js';
import { type SavedTarget, TargetStore } from './store.js';
import type { ThreadScrape } from './thread-scraper.js';

export interface ScrapeOptions {
  intervalMs: number;
  /** stop after this long (or when `signal` aborts: then one last scrape is taken) */
  durationMs?: number;
  once?: boolean;
  select?: GoRegexp;
  signal?: AbortSignal;
  /**
   * the user's interrupt: the scrapes in flight on this thread are abandoned (not failures) and no
   * last scrape is taken, so a silent target does not hold the command
   */
  interrupt?: AbortSignal;
  /** the largest exposition read (and after gunzip); default DEFAULT_MAX_EXPOSITION_BYTES */
  maxBytes?: number;
  onScrape?: (target: string, at: number) => void;
  /** scrape on a thread of its own (threadScraper: large expositions must not stall a load beside them) */
  thread?: ThreadScrape;
}

/** A controller's exposition is well under 1 MiB; even kube-apiserver's is tens of MiB. */
export const DEFAULT_MAX_EXPOSITION_BYTES = 64 * MiB;

export function expositionLimit(maxBytes = DEFAULT_MAX_EXPOSITION_BYTES): BodyLimit {
  return {
    maxBytes,
    hint: `is this a metrics endpoint? vitictl reads expositions of up to ${formatBytes(maxBytes)}; --max-exposition-size MiB (metrics scrape, apply) raises it`,
  };
}

export type ScrapeFailureKind = 'http' | 'connection' | 'parse';

export interface ScrapeFailure {
  target: string;
  at: string;
  /** one line: where (redacted) and why */
  message: string;
  kind: ScrapeFailureKind;
  /** kind http: the status the target answered */
  status?: number;
  /** why, without the target: "HTTP 401: Unauthorized", "refused (ECONNREFUSED) …" */
  reason: string;
  /** what to check */
  hint: string;
}

export interface ScrapeResult {
  stores: TargetStore[];
  failures: ScrapeFailure[];
  /** lines the lenient parser skipped, per target (first few) */
  parseProblems: Array<{ target: string; line: number; message: string }>;
}

function statusHint(status: number): string {
  if (status === 401)
    return 'the endpoint wants credentials: check the bearer token (--bearer-token-file) or the credentials in the URL';
  if (status === 403)
    return 'the credentials were accepted but not allowed: RBAC must grant get on the nonResourceURL /metrics (pods/proxy or services/proxy for pod and service targets)';
  if (status === 404)
    return 'nothing at this path: check the port and the path (/metrics), and that metrics are enabled';
  if (status >= 500) return "the endpoint failed: check the controller's logs";
  return 'check the target: is it a Prometheus metrics endpoint?';
}

/** One scrape of a metrics endpoint, parsed leniently. */
export async function fetchExposition(
  target: Target,
  path: string,
  timeoutMs: number,
  limit: BodyLimit = expositionLimit(),
): Promise<Exposition> {
  const { body, format } = await fetchBody(target, path, timeoutMs, limit);
  return parseScrape(body, format, limit.maxBytes);
}

/** What went wrong with one scrape: the HTTP status, the connection, or the body. */
function scrapeFailure(target: Target, path: string, at: number, error: unknown): ScrapeFailure {
  const base = {
    target: target.name,
    at: new Date(at).toISOString(),
    message: describeFetchFailure(target, path, error),
  };
  if (error instanceof NetworkError)
    return {
      ...base,
      kind: 'connection',
      reason: `${error.failure} (${error.code}) ${error.detail}`.trim(),
      hint: error.hint ?? 'check the URL',
    };
  if (error instanceof ScrapeStatusError)
    return {
      ...base,
      kind: 'http',
      status: error.status,
      reason: error.message,
      hint: statusHint(error.status),
    };
  // a body refused as too large or not decompressible says so itself, with how to raise a limit
  return {
    ...base,
    kind: 'parse',
    reason: error instanceof Error ? error.message : String(error),
    hint:
      error instanceof VitictlError && error.hint
        ? error.hint
        : 'is this a Prometheus metrics endpoint (text 0.0.4 or OpenMetrics)? check the path and port',
  };
}

/** Scrape every target at the interval until the duration ends or `signal` aborts. */
export async function scrapeTargets(targets: Target[], options: ScrapeOptions): Promise<ScrapeResult> {
  const stores = targets.map((target) => new TargetStore(target.name, options.select));
  const failures: ScrapeFailure[] = [];
  const parseProblems: ScrapeResult['parseProblems'] = [];
  const started = Date.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const limit = expositionLimit(options.maxBytes);
  const decode = targetsDecoder(options.select);
  const scrapeHere: ThreadScrape = async (target, path, timeoutMs, bodyLimit) => {
    const { body, format } = await fetchBody(target, path, timeoutMs, bodyLimit, options.interrupt);
    return decode(target.name, body, format, bodyLimit.maxBytes);
  };
  const scrape = options.thread ?? scrapeHere;
  const stoppers = [options.signal, options.interrupt].filter((signal) => signal !== undefined);
  const wakeOn = stoppers.length > 1 ? AbortSignal.any(stoppers) : stoppers[0];
  for (let tick = 0; ; tick++) {
    const due = started + tick * options.intervalMs;
    const wait = due - Date.now();
    if (wait > 0)
      await sleep(wait, undefined, wakeOn ? { signal: wakeOn } : undefined).catch(() => undefined);
    const aborted = options.signal?.aborted === true;
    if (options.interrupt?.aborted) break;
    await Promise.all(
      targets.map(async (target, i) => {
        const path = target.defaultPath ?? '/metrics';
        const at = Date.now();
        try {
          const { batch, problems } = await scrape(target, path, Math.max(1000, options.intervalMs), limit);
          stores[i]!.addBatch(at, batch);
          for (const problem of problems.slice(0, 5)) {
            if (parseProblems.length < 50)
              parseProblems.push({ target: target.name, line: problem.line, message: problem.message });
          }
          options.onScrape?.(target.name, at);
        } catch (error) {
          if (!options.interrupt?.aborted) failures.push(scrapeFailure(target, path, at, error));
        }
      }),
    );
    // one last scrape after an abort or the deadline: "before, every interval, after"
    if (options.once || aborted || Date.now() + options.intervalMs > deadline) break;
  }
  return { stores, failures, parseProblems };
}

export interface SavedScrapes {
  kind: 'vitictl.io/Scrapes';
  version: 1;
  targets: SavedTarget[];
}

export function saveScrapes(stores: TargetStore[]): SavedScrapes {
  return { kind: 'vitictl.io/Scrapes', version: 1, targets: stores.map((store) => store.save()) };
}
