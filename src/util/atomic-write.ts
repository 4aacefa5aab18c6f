import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { inputError } from '../errors.js';

/** Write chunks to a stream, waiting for 'drain' so memory stays flat for any output size. */
export async function writeChunks(stream: Writable, chunks: Iterable<string>): Promise<void> {
  let buffer = '';
  for (const chunk of chunks) {
    buffer += chunk;
    if (buffer.length >= 1 << 16) {
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  if (buffer.length > 0 && !stream.write(buffer)) await once(stream, 'drain');
}

/** Temp files being written right now: a signal that ends the process removes them (see cli/io.ts). */
const liveTempFiles = new Set<string>();

/** Remove every temp file still being written; synchronous, for the moment the process is ending. */
export function removeTempFilesNow(): void {
  for (const temp of liveTempFiles) rmSync(temp, { force: true });
  liveTempFiles.clear();
}

/**
 * Write a file so that it either appears complete or not at all: a temp file beside the target,
 * renamed into place only after everything was written. Any failure removes the temp file.
 */
export async function writeFileAtomically(
  target: string,
  produce: (stream: Writable) => Promise<void>,
): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  const stream = createWriteStream(temp, { flags: 'wx' });
  liveTempFiles.add(temp);
  try {
    await once(stream, 'open');
    await produce(stream);
    stream.end();
    await once(stream, 'finish');
    await rename(temp, target);
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EROFS') {
      throw inputError(`cannot write ${target}: ${code}`, {
        location: { file: target },
        hint: 'check that the directory exists and is writable',
      });
    }
    throw error;
  } finally {
    liveTempFiles.delete(temp);
  }
}
