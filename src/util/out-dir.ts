import { mkdir, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { inputError } from '../errors.js';

const HINT = 'name a directory that exists or can be created, writable by this user';

async function kindOf(path: string): Promise<'directory' | 'other' | 'absent'> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a parent is a file; walking up finds it and names it
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
    throw inputError(`cannot use ${path} as a directory: ${code ?? (error as Error).message}`, {
      hint: HINT,
    });
  }
}

/**
 * Make an output directory (and its missing parents), or say in one line why it cannot be. One level
 * at a time, not mkdir's recursive mode: that one retries for ever where a parent refuses with ENOENT
 * (/proc), and its errors name no cause a user can act on.
 */
export async function ensureOutDir(dir: string, flag: string): Promise<void> {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const kind = await kindOf(at);
    if (kind === 'directory') break;
    if (kind === 'other')
      throw inputError(`cannot use ${flag} ${dir}: ${at} exists and is not a directory`, { hint: HINT });
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const path of missing) {
    try {
      await mkdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await kindOf(path)) === 'directory') continue;
      const target = code === 'EEXIST' ? await readlink(path).catch(() => undefined) : undefined;
      if (target !== undefined)
        throw inputError(`cannot use ${flag} ${dir}: ${path} is a link to ${target}, which does not exist`, {
          hint: 'create the directory it points to, or remove the link',
        });
      throw inputError(`cannot create ${flag} ${dir}: ${code ?? (error as Error).message} at ${path}`, {
        hint: HINT,
      });
    }
  }
}
