import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
export const bin = root('bin/vitictl.js');
const builtMain = root('dist/cli/main.js');

/**
 * Run the built CLI as a user would: a real process, real streams, no TTY. Returns the subprocess.
 * Integration tests only: the unit project runs src/ in-process (cli.ts), never dist/.
 */
export function vitictl(args: string[], options: Options = {}) {
  if (!existsSync(builtMain)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  return execa('node', [bin, ...args], {
    reject: false,
    env: { NO_COLOR: '1' },
    // a test's kill('SIGTERM') must see the graceful exit, however long cleanup takes on a busy machine
    // (execa otherwise sends SIGKILL 5 s later)
    forceKillAfterDelay: false,
    ...options,
    stripFinalNewline: false,
  });
}

/**
 * Build dist/ when it is missing or older than a source file, so the integration tests run on their own
 * never test an old build (tsc rewrites every output file, so one file's time is the build's).
 */
export async function buildIfStale(log: (line: string) => void): Promise<void> {
  const built = statSync(builtMain, { throwIfNoEntry: false });
  const inputs = [root('tsconfig.json'), root('tsconfig.build.json'), ...sourceFiles(root('src'))];
  if (built && inputs.every((file) => statSync(file).mtimeMs <= built.mtimeMs)) return;
  log(built ? 'src/ changed since the last build: npm run build' : 'dist/ is missing: npm run build');
  await execa('npm', ['run', '--silent', 'build'], { cwd: root('') });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}
