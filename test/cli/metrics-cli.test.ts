import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';

describe('vitictl metrics parse (in-process)', () => {
  const temp = useTempDir();

  it('lists families of a valid exposition', async () => {
    const file = await temp.write(
      'ok.txt',
      '# TYPE a counter\na_total 1\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3\n',
    );
    const result = await runCli(['metrics', 'parse', file, '--strict', '-o', 'json']);
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(String(result.stdout)) as { families: Array<{ name: string; type: string }> };
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ['a', 'counter'],
      ['h', 'histogram'],
    ]);
  });

  it('shows the first --limit families and says how many more (0: all); a bad --limit exits 2', async () => {
    const text = Array.from({ length: 60 }, (_, i) => `# TYPE f${i} gauge\nf${i} ${i}\n`).join('');
    const file = await temp.write('many.txt', text);
    const byDefault = String((await runCli(['metrics', 'parse', file])).stdout).split('\n');
    expect(byDefault[0]).toMatch(/^FAMILY +TYPE +SAMPLES +EXEMPLARS +HELP$/);
    expect(byDefault[1]).toBe('f0       gauge   1         0');
    expect(byDefault.filter((line) => /^f\d+ /.test(line))).toHaveLength(50);
    expect(byDefault).toContain('… 10 more families: --limit 0 shows all, -o json gives every sample');
    const three = String((await runCli(['metrics', 'parse', file, '--limit', '3'])).stdout).split('\n');
    expect(three.filter((line) => /^f\d+ /.test(line))).toHaveLength(3);
    expect(three).toContain('… 57 more families: --limit 0 shows all, -o json gives every sample');
    const all = String((await runCli(['metrics', 'parse', file, '--limit', '0'])).stdout);
    expect(all.split('\n').filter((line) => /^f\d+ /.test(line))).toHaveLength(60);
    expect(all).not.toContain('more families');
    const bad = await runCli(['metrics', 'parse', file, '--limit', '-1']);
    expect(bad.exitCode).toBe(2);
    expect(errorLines(bad.stderr)).toEqual(['error: --limit must be at least 0 (got -1)']);
  });

  it('exits 2 with file:line:column in strict mode', async () => {
    const file = await temp.write('bad.txt', 'good 1\nbad{a=1} 2\n');
    const result = await runCli(['metrics', 'parse', file, '--strict']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([`error: ${file}:2:7: label a: the value must be quoted`]);
  });

  it('skips bad lines without --strict and says which', async () => {
    const file = await temp.write('bad.txt', 'good 1\nbad{a=1} 2\n');
    const result = await runCli(['metrics', 'parse', file]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/^line 2:7: label a: the value must be quoted$/m);
  });

  it('exits 2 at the line and column of invalid UTF-8', async () => {
    const file = await temp.write('utf8.txt', 'good 1\n');
    await writeFile(
      file,
      Buffer.concat([Buffer.from('good 1\nbad{a="x'), Buffer.from([0xc3, 0x28]), Buffer.from('"} 1\n')]),
    );
    const result = await runCli(['metrics', 'parse', file, '--strict']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([`error: ${file}:2:9: invalid UTF-8`]);
  });

  it('exits 2 in seconds on one 50 MB label value (the line-length limit)', async () => {
    const file = await temp.write('big.txt', `big{a="${'x'.repeat(50 * 1024 * 1024)}"} 1\n`);
    const started = Date.now();
    const result = await runCli(['metrics', 'parse', file, '--strict']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([`error: ${file}:1: line longer than 1048576 characters`]);
    expect(String(result.stderr)).toMatch(
      /^hint: vitictl bounds what it parses: lines of 1048576 characters/m,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads stdin as bytes and rejects what OpenMetrics forbids', async () => {
    const result = await runCli(['metrics', 'parse', '-', '--strict'], {
      input: '# TYPE g gauge\ng 1 # {} 1\n# EOF\n',
    });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      'error: <stdin>:2:5: g: exemplars belong only on histogram buckets and counter totals',
    ]);
  });
});
