import { Worker } from 'node:worker_threads';
import type { DecodedScrape } from './decode.js';
import { ExpositionError } from './exposition-error.js';
import type { Exposition } from './model.js';

/** The thread's series filter, as a RegExp's parts. */
export interface SelectPattern {
  source: string;
  flags: string;
}

export interface DecodeRequest {
  id: number;
  /** the target whose store the batch is for (each has its own series numbering) */
  target: string;
  body: Uint8Array;
  format: Exposition['format'];
  maxInputBytes: number;
}

/** A parse error crosses the thread as data; an ExpositionError's position comes back with it. */
export interface WireError {
  message: string;
  line?: number;
  column?: number | undefined;
  limit?: boolean;
}

export type DecodeReply = { id: number; decoded: DecodedScrape } | { id: number; error: WireError };

/** Parses one scrape's body and encodes it for the target's store; the body is the decoder's from then on. */
export type ScrapeDecoder = (
  target: string,
  body: Uint8Array,
  format: Exposition['format'],
  maxInputBytes: number,
) => Promise<DecodedScrape>;

function rebuildError({ message, line, column, limit }: WireError): Error {
  return line === undefined ? new Error(message) : new ExpositionError(line, column, message, limit);
}

/**
 * A ScrapeDecoder on a worker thread, keeping only the families `select` matches: a multi-MiB
 * exposition (the API server's: 4 MiB and ~110 ms of parsing on the lab) parsed on the event loop
 * stalls an open-loop schedule beside it. close() ends the worker.
 */
export function workerDecoder(select: RegExp): { decode: ScrapeDecoder; close: () => Promise<void> } {
  const worker = startWorker(select);
  // the worker keeps the process alive only while a parse is pending
  worker.unref();
  const pending = new Map<number, { resolve: (d: DecodedScrape) => void; reject: (e: Error) => void }>();
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
  worker.on('message', (reply: DecodeReply) => {
    const waiting = settle(reply.id);
    if ('error' in reply) waiting?.reject(rebuildError(reply.error));
    else waiting?.resolve(reply.decoded);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the metrics parser thread exited (code ${code})`)));
  return {
    decode: (target, body, format, maxInputBytes) =>
      new Promise<DecodedScrape>((resolve, reject) => {
        if (ended) return reject(ended);
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.ref();
        // a body that is its whole buffer moves to the thread; one in a shared pool is copied
        const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
        const moved = whole && body.buffer instanceof ArrayBuffer ? body : new Uint8Array(body);
        const request: DecodeRequest = { id, target, body: moved, format, maxInputBytes };
        worker.postMessage(request, [moved.buffer as ArrayBuffer]);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * From dist/ the worker is the compiled decode-thread.js beside this module. From the sources (vitest
 * runs them in-process) it is decode-thread.ts, which a worker can only load after registering tsx.
 */
function startWorker(select: RegExp): Worker {
  // a RegExp does not cross threads: its source and flags do
  const workerData: SelectPattern = { source: select.source, flags: select.flags };
  const options = { workerData, resourceLimits: WORKER_LIMITS };
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./decode-thread.js', import.meta.url), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./decode-thread.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * The parser thread's young generation, kept small: V8's default lets it grow to tens of MiB that a
 * thread busy a few ms per scrape never gives back (on a long apply, the scraping thread held ~80 MiB
 * of RSS for 12 MiB of live heap). The old generation is not limited: a 64 MiB exposition must parse.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };
