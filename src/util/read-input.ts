import { open } from 'node:fs/promises';
import { inputError } from '../errors.js';

export const MiB = 2 ** 20;

export function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${+(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
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
