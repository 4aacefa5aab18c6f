import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/files.js';

const fixture = 'test/fixtures/smoke-run.json';

/** Bad input to `tune verify` is refused before anything touches a cluster: exit 2, one line and a hint. */
describe('vitictl tune verify: bad input', () => {
  const temp = useTempDir();

  it.each([
    [['tune', 'verify'], /--from run\.json is required/],
    [
      ['tune', 'verify', '--from', fixture, '--settle', '10s', '--restart', 'deployment/op'],
      /exclude each other/,
    ],
    [['tune', 'verify', '--from', fixture, '--restart', 'pod/op'], /invalid --restart "pod\/op"/],
    [
      ['tune', 'verify', '--from', fixture, '--min-improvement', '100'],
      /--min-improvement must be below 100/,
    ],
    [['tune', 'verify', '--from', fixture, '--min-improvement', 'lots'], /--min-improvement/],
    [['tune', 'verify', '--from', fixture, '--strategy', 'wild'], /--strategy must be balanced or strict/],
    [['tune', 'verify', '--from', fixture, '--settle', 'soon'], /--settle/],
    [['tune', 'verify', '--from', fixture, '--rounds', '0'], /--rounds/],
    [['tune', 'verify', '--from', fixture, '--rounds', '11'], /--rounds 11 is more than 10/],
    [
      ['tune', 'verify', '--from', fixture, '--rounds', '2', '--no-rebaseline'],
      /--rounds needs the baseline re-measured/,
    ],
  ])('%j → exit 2', async (args, message) => {
    const result = await runCli(args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('refuses a file that is not a RunResult', async () => {
    const file = await temp.write('not-a-run.json', '{"hello": 1}');
    const result = await runCli(['tune', 'verify', '--from', file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/hint: /);
  });

  it('documents itself: examples and exit codes in --help', async () => {
    const result = await runCli(['tune', 'verify', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\$ vitictl tune verify --from run\.json/);
    expect(result.stdout).toMatch(/0 kept · 3 rolled back/);
  });
});

describe('vitictl tune: bad flags', () => {
  it.each([
    [['--peak-rate', 'abc'], /--peak-rate/],
    [['--objects', '0'], /--objects/],
    [['--max-workers', 'many'], /--max-workers/],
    [['--target-p99-ready', 'soon'], /--target-p99-ready/],
    [['--controller', 'nope'], /no controller "nope" in the run's signals/],
    [['--out', '/tmp'], /--out: "\/tmp" is a directory/],
    [['--name', 'Bad_Name!'], /invalid --name "Bad_Name!"/],
    [['-n', 'Bad_NS'], /invalid -n "Bad_NS"/],
    [['--dry-run', 'server'], /--dry-run is for --apply/],
    [
      ['--current', 'package.json'],
      /package\.json:2:3: this mapping has none of a performance config's sections/,
    ],
  ])('%j is refused before the cluster is asked for anything', async (flags, message) => {
    // a kubeconfig that cannot be read: asking the cluster first would add its warning line
    const result = await runCli(['tune', '--from', fixture, ...flags], {
      env: { KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(message),
      expect.stringMatching(/^hint: /),
    ]);
  });
});

describe('vitictl tune verify: the flags of tune alone', () => {
  it.each([['--peak-rate', '50'], ['--objects', '10'], ['--apply'], ['--out', 'x.yaml']])(
    '%j is refused, not ignored',
    async (...flags) => {
      const result = await runCli(['tune', 'verify', '--from', fixture, ...flags], {
        env: { KUBECONFIG: '/nonexistent/kubeconfig' },
      });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `error: \`vitictl tune verify\` does not take ${flags[0]}: it is \`vitictl tune\`'s`,
        expect.stringMatching(/^hint: /),
      ]);
    },
  );
});
