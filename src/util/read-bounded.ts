import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

export class TooLargeError extends Error {}

/**
 * All bytes of a file or stream, refusing (TooLargeError) as soon as they pass `maxBytes`, so memory
 * stays bounded whatever the input. A missing file rejects with the fs error (code ENOENT).
 */
export async function readBounded(source: string | Readable, maxBytes: number): Promise<Buffer> {
  const stream = typeof source === 'string' ? createReadStream(source) : source;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += buffer.length;
      if (total > maxBytes) throw new TooLargeError(`larger than ${maxBytes} bytes`);
      chunks.push(buffer);
    }
  } finally {
    if (typeof source === 'string') stream.destroy();
  }
  return Buffer.concat(chunks, total);
}
