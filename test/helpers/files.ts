import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A temp directory per test, removed afterwards; tests write their own fixtures into it. */
export function useTempDir(): {
  path(name: string): string;
  write(name: string, text: string): Promise<string>;
  dir(): string;
} {
  let current: string | undefined;
  afterEach(async () => {
    if (current) await rm(current, { recursive: true, force: true });
    current = undefined;
  });
  const ensure = async () => {
    current ??= await mkdtemp(join(tmpdir(), 'vitictl-test-'));
    return current;
  };
  return {
    dir: () => {
      if (!current) throw new Error('temp dir not created yet: call write() first');
      return current;
    },
    path: (name) => {
      if (!current) throw new Error('temp dir not created yet: call write() first');
      return join(current, name);
    },
    write: async (name, text) => {
      const file = join(await ensure(), name);
      await writeFile(file, text);
      return file;
    },
  };
}
