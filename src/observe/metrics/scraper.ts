import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { describeFetchFailure, type Target } from '../target.js';
import type { Exposition } from './model.js';
import { parseExposition } from './parse.js';
import { type SavedTarget, TargetStore } from './store.js';

export interface ScrapeOptions {
  intervalMs: number;
  /** stop after this long (or when `signal` aborts) */
  durationMs?: number;
  once?: boolean;
  select?: RegExp;
  signal?: AbortSignal;
  onScrape?: (target: string, at: number, exposition: Exposition) => void;
}

export interface ScrapeFailure {
  target: string;
  at: string;
  message: string;
}

export interface ScrapeResult {
  stores: TargetStore[];
  failures: ScrapeFailure[];
  /** lines the lenient parser skipped, per target (first few) */
  parseProblems: Array<{ target: string; line: number; message: string }>;
}

export const ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The API server's Status message (proxied targets), else a hint for the status. */
export function explainStatus(status: number, body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { kind?: string; message?: string };
    if (parsed.kind === 'Status' && parsed.message) return parsed.message;
  } catch {
    // not a Status
  }
  if (status === 404) return 'nothing at this path (wrong port or path, or metrics are off)';
  if (status === 401 || status === 403)
    return 'not allowed (a secure endpoint: --bearer-token-file, or RBAC for the proxy)';
  return body.toString('utf8').trim().split('\n')[0]?.slice(0, 200) ?? '';
}

/** One GET of a metrics endpoint, gunzipped and parsed leniently (format from Content-Type). */
export async function fetchExposition(target: Target, path: string, timeoutMs: number): Promise<Exposition> {
  const response = await target.get(path, { timeoutMs, accept: ACCEPT });
  if (response.status !== 200) {
    throw new Error(`HTTP ${response.status}: ${explainStatus(response.status, response.body)}`);
  }
  const encoding = String(response.headers['content-encoding'] ?? '');
  const body = encoding.includes('gzip') ? gunzipSync(response.body) : response.body;
  const type = String(response.headers['content-type'] ?? '');
  return parseExposition(body, {
    format: type.includes('openmetrics') ? 'openmetrics' : 'text',
  });
}

/** Scrape every target at the interval until the duration ends or `signal` aborts. */
export async function scrapeTargets(targets: Target[], options: ScrapeOptions): Promise<ScrapeResult> {
  const stores = targets.map((target) => new TargetStore(target.name, options.select));
  const failures: ScrapeFailure[] = [];
  const parseProblems: ScrapeResult['parseProblems'] = [];
  const started = Date.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  for (let tick = 0; ; tick++) {
    const due = started + tick * options.intervalMs;
    const wait = due - Date.now();
    if (wait > 0)
      await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined).catch(
        () => undefined,
      );
    const aborted = options.signal?.aborted === true;
    await Promise.all(
      targets.map(async (target, i) => {
        const path = target.defaultPath ?? '/metrics';
        const at = Date.now();
        try {
          const exposition = await fetchExposition(target, path, Math.max(1000, options.intervalMs));
          stores[i]!.add(at, exposition);
          for (const problem of exposition.problems.slice(0, 5)) {
            if (parseProblems.length < 50)
              parseProblems.push({ target: target.name, line: problem.line, message: problem.message });
          }
          options.onScrape?.(target.name, at, exposition);
        } catch (error) {
          failures.push({
            target: target.name,
            at: new Date(at).toISOString(),
            message: describeFetchFailure(target, path, error),
          });
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
