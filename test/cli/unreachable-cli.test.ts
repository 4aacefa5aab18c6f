import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedKubeconfig } from '../helpers/closed-kubeconfig.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';

describe('every command that talks to the API server, against a closed port (in-process)', () => {
  const temp = useTempDir();

  it.each([
    ['apply', ['apply', 'machines', '--count', '1']],
    // cleanup retries a server that does not answer (it may be restarting) for --retry-timeout
    ['cleanup', ['cleanup', '--run-id', 'r1', '--retry-timeout', '1s']],
    // a run with controller signals: one without them is refused before the cluster is asked
    ['tune --apply', ['tune', '--from', 'test/fixtures/smoke-run.json', '--apply']],
    ['perf run', ['perf', 'run', 'smoke', '--out-dir', 'OUT']],
  ])('%s exits 1 with one line naming the server and a hint', async (_name, args) => {
    const { port, file } = await closedKubeconfig(temp.write);
    const argv = args.map((arg) => (arg === 'OUT' ? temp.path('out') : arg));
    const result = await runCli([...argv, '--kubeconfig', file]);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      `error: cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(String(result.stderr)).toMatch(/^hint: is the cluster up\? .*--kubeconfig\/--context$/m);
    expect(String(result.stderr)).not.toContain('internal error');
  });
});
