import { Worker } from 'node:worker_threads';
import { type ErrorKind, type SourceLocation, VitictlError } from '../../errors.js';
import type { ThreadRequest } from '../../kube/rest.js';
import type { GoRegexp } from '../../util/go-regexp.js';
import { TooLargeError, type TooLargeSeen } from '../../util/read-bounded.js';
import { type BodyLimit, responseTooLarge, type Target } from '../target.js';
import type { DecodedScrape } from './decode.js';
import { ScrapeStatusError } from './fetch-body.js';

/** The thread's family filter: the Go regexp's source (a compiled one does not cross threads). */
export interface SelectPattern {
  source: string;
}

export interface ScrapeRequest {
  id: number;
  /** the target whose store the batch is for (each has its own series numbering and connection) */
  target: string;
  /** the target's name for the path, for messages */
  where: string;
  request: ThreadRequest;
  timeoutMs: number;
  limit: BodyLimit;
}

/** Why a scrape failed, as data: an error does not cross threads with its class and fields. */
export type WireError =
  /** the target answered with another status than 200 */
  | { kind: 'status'; status: number; message: string }
  /** the body passed the limit */
  | { kind: 'too-large'; maxBytes: number; seen: TooLargeSeen }
  /** refused by vitictl's own checks (a body that does not decompress) */
  | { kind: 'vitictl'; errorKind: ErrorKind; message: string; hint?: string; location?: SourceLocation }
  /** the body is not an exposition */
  | { kind: 'exposition'; message: string }
  /** no HTTP answer: what undici or the socket said */
  | {
      kind: 'network';
      name: string;
      message: string;
      code?: string;
      cause?: { code?: string; message?: string };
    };

export type ScrapeReply = { id: number; decoded: DecodedScrape } | { id: number; error: WireError };

/** GETs one scrape of `path` and parses it for the target's store. */
export type ThreadScrape = (
  target: Target,
  path: string,
  timeoutMs: number,
  limit: BodyLimit,
) => Promise<DecodedScrape>;

/** The error the scrape would have thrown had it run on this thread. */
function rebuildError(error: WireError, target: Target, path: string, limit: BodyLimit): Error {
  switch (error.kind) {
    case 'status':
      return new ScrapeStatusError(error.status, error.message);
    case 'too-large':
      return responseTooLarge(target.where(path), new TooLargeError(error.maxBytes, error.seen), limit);
    case 'vitictl':
      return new VitictlError(error.errorKind, error.message, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error.location === undefined ? {} : { location: error.location }),
      });
    case 'exposition':
      return new Error(error.message);
    case 'network': {
      const { name, message, code, cause } = error;
      return target.unreachable(path, Object.assign(new Error(message), { name, code, cause }));
    }
  }
}

/**
 * Scrapes on a thread of their own, which sends the GET, reads the body and parses it, keeping only
 * the families `select` matches: the API server's exposition is MiBs (5 MB on the lab under load),
 * and reading it on the event loop (TLS, the body's chunks, joining them) held the load's thread
 * for milliseconds at a time, parsing it for ~110 ms. The thread answers with the store's encoded
 * batch. close() ends it.
 */
export function threadScraper(select: GoRegexp): { scrape: ThreadScrape; close: () => Promise<void> } {
  const worker = startWorker(select);
  // the worker keeps the process alive only while a scrape is pending
  worker.unref();
  const pending = new Map<
    number,
    { resolve: (d: DecodedScrape) => void; reject: (e: Error) => void; rebuild: (e: WireError) => Error }
  >();
  let next = 0;
  let ended: Error | undefined;
  const settle = (id: number) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return waiting;
  };
  const failAll = (error: Error) => {
    ended ??= error;
    for (const id of [...pending.keys()]) settle(id)?.reject(error);
  };
  worker.on('message', (reply: ScrapeReply) => {
    const waiting = settle(reply.id);
    if ('error' in reply) waiting?.reject(waiting.rebuild(reply.error));
    else waiting?.resolve(reply.decoded);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the scrape thread exited (code ${code})`)));
  return {
    scrape: (target, path, timeoutMs, limit) =>
      new Promise<DecodedScrape>((resolve, reject) => {
        if (ended) return reject(ended);
        const id = next++;
        pending.set(id, { resolve, reject, rebuild: (error) => rebuildError(error, target, path, limit) });
        worker.ref();
        const request: ScrapeRequest = {
          id,
          target: target.name,
          where: target.where(path),
          request: target.threadRequest(path),
          timeoutMs,
          limit,
        };
        worker.postMessage(request);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * From dist/ the worker is the compiled scrape-thread.js beside this module. From the sources (vitest
 * runs them in-process) it is scrape-thread.ts, which a worker can only load after registering tsx.
 */
function startWorker(select: GoRegexp): Worker {
  const workerData: SelectPattern = { source: select.source };
  const options = { workerData, resourceLimits: WORKER_LIMITS };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./scrape-thread.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./scrape-thread.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * The scrape thread's young generation, kept small: V8's default lets it grow to tens of MiB that a
 * thread busy a few ms per scrape never gives back (on a long apply, the scraping thread held ~80 MiB
 * of RSS for 12 MiB of live heap). The old generation is not limited: a 64 MiB exposition must parse.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };
