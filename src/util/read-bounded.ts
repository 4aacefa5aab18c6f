import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { formatBytes } from './read-input.js';

export type TooLargeSeen = { declared: number } | { read: number };

/**
 * Input past a limit. The message says what was seen: the size the sender declared, or that reading
 * stopped one chunk past the limit (reading on just to report the size is what the limit prevents).
 */
export class TooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly seen: TooLargeSeen,
  ) {
    super(
      'declared' in seen
        ? `${formatBytes(seen.declared)} (Content-Length), more than the ${formatBytes(maxBytes)} limit`
        : `over the ${formatBytes(maxBytes)} limit (reading stopped at ${formatBytes(seen.read)})`,
    );
    this.name = 'TooLargeError';
  }
}

/**
 * The least time a response body is given to arrive whole. A request's timeout is for the answer to
 * start and for each gap in it; a large honest body (an API server's 5 MB exposition on a busy host)
 * may take longer than that in all, a body that drips must not take for ever.
 */
export const MIN_BODY_DEADLINE_MS = 10_000;

/** When a response body must have arrived whole, for a request sent now with `timeoutMs`. */
export function bodyDeadline(timeoutMs: number): number {
  return performance.now() + Math.max(timeoutMs, MIN_BODY_DEADLINE_MS);
}

/**
 * All bytes of a file or stream, refusing (TooLargeError) as soon as they pass `maxBytes`, so memory
 * stays bounded whatever the input; the stream is destroyed then, so nothing more is read. A missing
 * file rejects with the fs error (code ENOENT).
 */
export async function readBounded(source: string | Readable, maxBytes: number): Promise<Buffer> {
  const stream = typeof source === 'string' ? createReadStream(source) : source;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += buffer.length;
      if (total > maxBytes) throw new TooLargeError(maxBytes, { read: total });
      chunks.push(buffer);
    }
  } catch (error) {
    stream.destroy();
    throw error;
  } finally {
    if (typeof source === 'string') stream.destroy();
  }
  return Buffer.concat(chunks, total);
}

/**
 * An HTTP response body, refused before reading when its Content-Length is past `maxBytes`, else as
 * soon as the bytes pass it (a body without a length, or one that lies). Refusing destroys the body,
 * which drops the connection instead of draining an endless stream. With a `deadline`
 * (performance.now() ms) a body still arriving then is destroyed with a timeout (UND_ERR_BODY_TIMEOUT).
 */
export async function readBodyBounded(
  body: Readable,
  contentLength: string | string[] | undefined,
  maxBytes: number,
  deadline?: number,
): Promise<Buffer> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (contentLength !== undefined && Number.isFinite(declared) && declared > maxBytes) {
    body.destroy();
    throw new TooLargeError(maxBytes, { declared });
  }
  if (deadline === undefined) return readBounded(body, maxBytes);
  // undici's bodyTimeout is the gap between chunks: a body that drips a byte a second never ends
  const timer = setTimeout(
    () =>
      body.destroy(
        Object.assign(new Error('the body did not end in time'), { code: 'UND_ERR_BODY_TIMEOUT' }),
      ),
    Math.max(0, deadline - performance.now()),
  );
  try {
    return await readBounded(body, maxBytes);
  } finally {
    clearTimeout(timer);
  }
}
