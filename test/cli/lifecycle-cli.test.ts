import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';

/** Flags refused before any connection: the kubeconfig here points nowhere, so reaching it would be exit 1. */
const NOWHERE = { KUBECONFIG: '/nonexistent/kubeconfig' };

describe('vitictl update | delete | churn | read: bad flags before any request (in-process)', () => {
  const temp = useTempDir();

  it.each([
    [
      ['delete', 'r', 'machines', '--timeline', '/nonexistent/dir/t.ndjson'],
      'error: --timeline: cannot write into "/nonexistent/dir" (missing or not writable)',
    ],
    [['read', 'r', 'machines', '--page-size', '1.5'], 'error: --page-size must be an integer (got "1.5")'],
    [['churn', 'r', 'machines', '--cycles', '1e9'], 'error: --cycles must be an integer (got "1e9")'],
    [['churn', 'r', 'machines', '--cycles', '5000'], 'error: --cycles 5000 is more than 1000'],
    [['read', 'r', 'machines', '--qps', '1e12'], 'error: --qps 1000000000000 is more than 10000'],
  ])('%j is exit 2: %s', async (args, first) => {
    const result = await runCli(args, { env: NOWHERE });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toBe(first);
  });

  it('refuses a --timeline that is a directory', async () => {
    await temp.write('x', '');
    const result = await runCli(['update', 'r', 'machines', '--timeline', temp.path('')], { env: NOWHERE });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toMatch(/^error: --timeline: ".*" is a directory$/);
  });
});

it('apply refuses an --out or --timeline it could not write, before creating anything', async () => {
  for (const flag of ['--out', '--timeline']) {
    const result = await runCli(['apply', 'machines', '--count', '1', flag, '/nonexistent/dir/run.json'], {
      env: NOWHERE,
    });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toBe(
      `error: ${flag}: cannot write into "/nonexistent/dir" (missing or not writable)`,
    );
  }
});
