import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const bin = fileURLToPath(new URL('../../bin/vitictl.js', import.meta.url));

/** Run the built CLI as a user would: a real process, real streams, no TTY. Returns the subprocess. */
export function vitictl(args: string[], options: Options = {}) {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  return execa('node', [bin, ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
    ...options,
    stripFinalNewline: false,
  });
}

/** The error lines a failed command printed (progress lines and hints aside). */
export function errorLines(stderr: unknown): string[] {
  return String(stderr)
    .split('\n')
    .filter((line) => line.startsWith('error:'));
}
