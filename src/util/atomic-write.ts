import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { inputError, runtimeError } from '../errors.js';

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

let beforeFirstTempFile: (() => void) | undefined;

/** Run `hook` before a temp file is made (the CLI takes the stop signals then, to remove it). */
export function onTempFiles(hook: () => void): void {
  beforeFirstTempFile = hook;
}

/** Remove every temp file still being written; synchronous, for the moment the process is ending. */
export function removeTempFilesNow(): void {
  for (const temp of liveTempFiles) rmSync(temp, { force: true });
  liveTempFiles.clear();
}

const WHY: Record<string, string> = {
  EISDIR: 'it is a directory (EISDIR)',
  ENOTDIR: 'a part of its path is a file, not a directory (ENOTDIR)',
  ENOENT: 'its directory does not exist (ENOENT)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'not permitted (EPERM)',
  EROFS: 'read-only file system (EROFS)',
  ENAMETOOLONG: 'the name is too long (ENAMETOOLONG)',
};

/**
 * Write a file so that it either appears complete or not at all: a temp file beside the target,
 * renamed into place only after everything was written. Any failure removes the temp file.
 */
export async function writeFileAtomically(
  target: string,
  produce: (stream: Writable) => Promise<void>,
): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  beforeFirstTempFile?.();
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
    // a temp file that could not be made may have a path that cannot even be looked at (ENOTDIR)
    await rm(temp, { force: true }).catch(() => undefined);
    const { code } = error as NodeJS.ErrnoException;
    // refused for the path given (no such directory, a directory in the way, read-only…): bad input
    const why = code === undefined ? undefined : WHY[code];
    if (why)
      throw inputError(`cannot write the file: ${why}`, {
        location: { file: target },
        hint: 'name a file in a directory that exists and is writable',
      });
    if (code === 'ENOSPC') throw runtimeError(`cannot write ${target}: no space left on the device (ENOSPC)`);
    throw error;
  } finally {
    liveTempFiles.delete(temp);
  }
}
