import { describe, expect, it } from 'vitest';
import { errorLines, vitictl } from '../helpers/cli.js';
import { useTempDir } from '../helpers/files.js';

describe('vitictl metrics parse (the built CLI)', () => {
  const temp = useTempDir();

  it('lists families of a valid exposition', async () => {
    const file = await temp.write(
      'ok.txt',
      '# TYPE a counter\na_total 1\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3\n',
    );
    const result = await vitictl(['metrics', 'parse', file, '--strict', '-o', 'json']);
    expect(result.exitCode).toBe(0);
    const parsed = JSON.parse(String(result.stdout)) as { families: Array<{ name: string; type: string }> };
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ['a', 'counter'],
      ['h', 'histogram'],
    ]);
  });

  it('exits 2 with file:line:column in strict mode', async () => {
    const file = await temp.write('bad.txt', 'good 1\nbad{a=1} 2\n');
    const result = await vitictl(['metrics', 'parse', file, '--strict']);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([`error: ${file}:2:7: label a: the value must be quoted`]);
  });

  it('skips bad lines without --strict and says which', async () => {
    const file = await temp.write('bad.txt', 'good 1\nbad{a=1} 2\n');
    const result = await vitictl(['metrics', 'parse', file]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/^line 2:7: label a: the value must be quoted$/m);
  });
});
