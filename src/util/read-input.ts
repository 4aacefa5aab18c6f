import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { gunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { inputError, type SourceLocation } from '../errors.js';

export const MiB = 2 ** 20;

export function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

/** "a FIFO", "a socket", "a device" for a path that is one (after symlinks); undefined otherwise. */
async function specialKind(file: string): Promise<string | undefined> {
  let stats: Stats;
  try {
    stats = await stat(file);
  } catch {
    return undefined; // open() names what is wrong
  }
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return undefined;
}

/**
 * Read an input file of at most `maxBytes`: the size is checked before reading (stat), and the read
 * stops one byte past the limit, so a file that grows meanwhile (or a FIFO) cannot exceed it either.
 */
export async function readBoundedFile(
  file: string,
  what: string,
  maxBytes: number,
  hint = 'vitictl reads input files whole; split the input',
): Promise<Buffer> {
  const tooBig = (size: string) =>
    inputError(`${what} is ${size}, more than the ${formatBytes(maxBytes)} limit`, {
      location: { file },
      hint,
    });
  // opening a FIFO blocks a thread of libuv's pool until a writer comes, and the process cannot
  // exit while it waits (Ctrl-C and SIGTERM included): look at what the path is first
  const kind = await specialKind(file);
  if (kind)
    throw inputError(`${what} is ${kind}, not a regular file: ${file}`, {
      hint: 'pass a file; to read standard input, pass - where the command takes it',
    });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw inputError(`${what} not found: ${file}`, {
        hint: 'check the path (relative paths start at the current directory)',
      });
    }
    throw inputError(`cannot read ${what} ${file}: ${code ?? (error as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw inputError(`${what} is a directory, not a file: ${file}`);
    if (stat.size > maxBytes) throw tooBig(formatBytes(stat.size));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(maxBytes + 1 - total, 1 << 20) || 1);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw tooBig(`over ${formatBytes(maxBytes)}`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof Error && error.name === 'VitictlError') throw error;
    throw inputError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  } finally {
    await handle.close();
  }
}

/** zlib options for a bounded gunzip: stop at the bound, and size one output chunk from the trailer. */
function boundedGunzipOptions(data: Uint8Array, maxBytes: number): ZlibOptions {
  // one output chunk of the size the gzip trailer states (mod 2^32) saves re-copying 16 KB chunks;
  // at most 64 MiB, which is what a refused bomb holds beyond the limit
  const stated =
    data.length >= 18
      ? Buffer.from(data.buffer, data.byteOffset, data.length).readUInt32LE(data.length - 4)
      : 0;
  return {
    chunkSize: Math.min(Math.max(stated + 64, 1 << 16), 1 << 26, maxBytes + 64),
    maxOutputLength: maxBytes,
  };
}

function gunzipError(error: unknown, location: SourceLocation, maxBytes: number, hint: string): Error {
  if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
    return inputError(`decompresses to more than ${formatBytes(maxBytes)}`, { location, hint });
  return inputError(`cannot decompress: ${(error as Error).message}`, {
    location,
    hint: 'the gzip stream is damaged or cut short: fetch or copy it again',
  });
}

/**
 * gunzip into at most `maxBytes`: zlib stops at the bound instead of growing the output. Past it is
 * bad input at `location` (the file or URL), with `hint` saying how to raise the limit.
 */
export function gunzipBounded(
  data: Uint8Array,
  location: SourceLocation,
  maxBytes: number,
  hint: string,
): Buffer {
  try {
    return gunzipSync(data, boundedGunzipOptions(data, maxBytes));
  } catch (error) {
    throw gunzipError(error, location, maxBytes, hint);
  }
}

/**
 * The same, on libuv's thread pool: for scrapes taken while a load runs. Inflating the lab API
 * server's exposition (4.7 MB, 181 KB gzipped) takes 9–11 ms, and on the event loop every open-loop
 * start due meanwhile would wait for it.
 */
export function gunzipBoundedOffThread(
  data: Uint8Array,
  location: SourceLocation,
  maxBytes: number,
  hint: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    gunzip(data, boundedGunzipOptions(data, maxBytes), (error, result) => {
      if (error) reject(gunzipError(error, location, maxBytes, hint));
      else resolve(result);
    });
  });
}
