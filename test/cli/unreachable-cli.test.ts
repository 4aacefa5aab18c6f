import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedKubeconfig } from '../helpers/closed-kubeconfig.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';

const RUN = {
  schemaVersion: 1,
  kind: 'vitictl.io/RunResult',
  tool: { name: 'vitictl', version: '0.0.0' },
  runId: 'r1',
  scenario: { name: 'machines', file: 'machines', seed: 1, objects: 1 },
  target: { server: 'https://x', context: 'c', kubernetesVersion: 'v1.37.2', insecureSkipTlsVerify: false },
  startedAt: '2026-11-26T08:00:00.000Z',
  endedAt: '2026-11-26T08:00:30.000Z',
  interrupted: false,
  phases: [],
  methods: {},
};

describe('every command that talks to the API server, against a closed port (in-process)', () => {
  const temp = useTempDir();

  it.each([
    ['apply', ['apply', 'machines', '--count', '1']],
    // cleanup retries a server that does not answer (it may be restarting) for --retry-timeout
    ['cleanup', ['cleanup', '--run-id', 'r1', '--retry-timeout', '1s']],
    ['tune --apply', ['tune', '--from', 'RUN', '--apply']],
    ['perf run', ['perf', 'run', 'smoke', '--out-dir', 'OUT']],
  ])('%s exits 1 with one line naming the server and a hint', async (_name, args) => {
    const { port, file } = await closedKubeconfig(temp.write);
    const run = await temp.write('run.json', JSON.stringify(RUN));
    const argv = args.map((arg) => (arg === 'RUN' ? run : arg === 'OUT' ? temp.path('out') : arg));
    const result = await runCli([...argv, '--kubeconfig', file]);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      `error: cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(String(result.stderr)).toMatch(/^hint: is the cluster up\? .*--kubeconfig\/--context$/m);
    expect(String(result.stderr)).not.toContain('internal error');
  });
});
