import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { cpuProfile } from '../helpers/pprof-build.js';

describe('vitictl pprof (in-process)', () => {
  const temp = useTempDir();
  const profile = async () => {
    const file = await temp.write('cpu.pb.gz', '');
    await writeFile(
      file,
      cpuProfile([
        { stack: ['main.hot', 'main.main'], count: 90 },
        { stack: ['main.cold', 'main.main'], count: 10 },
      ]),
    );
    return file;
  };

  // the expected table is what go tool pprof -top -nodecount=2 printed for this profile
  it('prints the go tool pprof -top table, --nodes limiting the rows', async () => {
    const file = await profile();
    const result = await runCli(['pprof', 'top', file, '--nodes', '2']);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toBe(
      [
        'File: operator',
        'Type: cpu',
        'Duration: 3s, Total samples = 1000ms (33.33%)',
        'Showing nodes accounting for 1000ms, 100% of 1000ms total',
        'Showing top 2 nodes out of 3',
        '      flat  flat%   sum%        cum   cum%',
        '     900ms 90.00% 90.00%      900ms 90.00%  main.hot',
        '     100ms 10.00%   100%      100ms 10.00%  main.cold',
        '',
      ].join('\n'),
    );
    const json = await runCli(['pprof', 'top', file, '--node-count', '1', '-o', 'json']);
    const report = JSON.parse(String(json.stdout)) as { rows: Array<{ name: string; flatPercent: number }> };
    expect(report.rows).toEqual([expect.objectContaining({ name: 'main.hot', flatPercent: 90 })]);
  });

  it.each([
    [['--sample-index', 'alloc_space'], /--sample-index "alloc_space" is not in this profile/],
    [['--nodes', '2', '--node-count', '3'], /--nodes and --node-count are the same flag/],
    [['--nodes', 'ten'], /--nodes must be an integer/],
    [['--focus', '('], /--focus: invalid regular expression/],
    [['-o', 'yaml'], /-o yaml is not supported by this command/],
  ])('exits 2 on %j', async (flags, message) => {
    const file = await profile();
    const result = await runCli(['pprof', 'top', file, ...flags]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toMatch(message);
  });

  it('exits 2 for a file that is not a profile, and for capture without --profile', async () => {
    const file = await temp.write('page.html', '<html>hi</html>');
    const bad = await runCli(['pprof', 'top', file]);
    expect(bad.exitCode).toBe(2);
    expect(errorLines(bad.stderr)[0]).toMatch(/not a profile\.proto/);
    const missing = await runCli(['pprof', 'top', temp.path('nope.pb.gz')]);
    expect(missing.exitCode).toBe(2);
    const noProfile = await runCli(['pprof', 'capture', 'http://127.0.0.1:1']);
    expect(noProfile.exitCode).toBe(2);
    expect(String(noProfile.stderr)).toMatch(/required option '--profile <profile>'/);
    const wrong = await runCli(['pprof', 'capture', 'http://127.0.0.1:1', '--profile', 'trace']);
    expect(errorLines(wrong.stderr)[0]).toMatch(/--profile trace is not a profile/);
  });

  it('has help with examples, and says why the row count is not -n', async () => {
    for (const sub of ['capture', 'top', 'goroutines']) {
      const help = await runCli(['pprof', sub, '--help']);
      expect(help.exitCode).toBe(0);
      expect(String(help.stdout)).toContain('Examples:');
    }
    expect(String((await runCli(['pprof', 'top', '--help'])).stdout)).toMatch(
      /Not -n: that is the\s+namespace/,
    );
  });
});
