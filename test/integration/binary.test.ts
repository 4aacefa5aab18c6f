import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bin, vitictl } from '../helpers/binary.js';
import { closedKubeconfig } from '../helpers/closed-kubeconfig.js';
import { errorLines } from '../helpers/errors.js';
import { repoRoot, useTempDir } from '../helpers/files.js';

/**
 * The built binary as users run it: the launcher, exit codes a shell sees, real pipes. Everything a
 * command does is tested in-process on src/ (test/cli); these check only what needs a real process.
 */
describe('the built binary', () => {
  const temp = useTempDir();

  it('exits 0 with the version, 2 on bad input and on a usage error, with one error line', async () => {
    const version = await vitictl(['--version']);
    expect(version.exitCode).toBe(0);
    const { version: packaged } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout).toBe(`${packaged}\n`);

    const bad = await vitictl(['scenario', 'generate', 'machines', '--count', '-5']);
    expect(bad.exitCode).toBe(2);
    expect(errorLines(bad.stderr)).toEqual(['error: --count must be at least 0 (got -5)']);

    const usage = await vitictl(['scenario', 'generate', 'machines', '--cuont', '3']);
    expect(usage.exitCode).toBe(2);
    expect(errorLines(usage.stderr)[0]).toMatch(/^error: unknown option '--cuont'/);
  });

  it('exits 1 when the API server cannot be reached', async () => {
    const { port, file: kubeconfig } = await closedKubeconfig(temp.write);
    const result = await vitictl(['cleanup', '--run-id', 'r1', '--kubeconfig', kubeconfig]);
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      `error: cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });

  it('reads - from a stdin pipe', async () => {
    const result = await vitictl(['metrics', 'parse', '-', '--strict', '-o', 'json'], {
      input: '# TYPE a counter\na_total 1\n',
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const parsed = JSON.parse(String(result.stdout)) as { families: Array<{ name: string }> };
    expect(parsed.families.map((family) => family.name)).toEqual(['a']);
  });

  it('stops quietly, exit 0, when the reader of its output goes away (| head)', async () => {
    const result = await execa(
      'bash',
      ['-c', `node ${bin} scenario generate machines --count 100000 | head -1`],
      { reject: false, env: { NO_COLOR: '1' } },
    );
    expect(result.stdout).toBe('apiVersion: v1');
    expect(result.stderr).toBe('');
    const status = await execa('bash', [
      '-c',
      `node ${bin} scenario generate machines --count 100000 | head -1 >/dev/null; echo \${PIPESTATUS[0]}`,
    ]);
    expect(status.stdout).toBe('0');
  });

  it('says how to build it when dist/ is missing, exit 1', async () => {
    const unbuilt = join((await temp.write('x', '')).replace(/x$/, ''), 'bin');
    await mkdir(unbuilt);
    await copyFile(join(repoRoot, 'bin', 'vitictl.js'), join(unbuilt, 'vitictl.js'));
    const result = await execa('node', [join(unbuilt, 'vitictl.js'), '--version'], { reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'error: vitictl is not built (dist/ is missing)\nhint: run `npm run build` in the vitictl checkout',
    );
  });
});
