import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { VitictlError } from '../errors.js';
import { parseYamlSource, parseYamlStream, readTextFile, YAML_LIMITS } from './yaml-source.js';

const failure = thrownBy;

const bomb = [
  'a0: &a0 [x, x, x, x, x, x, x, x, x, x]',
  ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`),
].join('\n');

describe('YAML input bounds', () => {
  const temp = useTempDir();

  it('refuses an alias bomb as bad input, at the alias that expands most', () => {
    for (const parse of [parseYamlSource, parseYamlStream]) {
      const error = failure(() => parse('bomb.yaml', bomb));
      expect(error.kind).toBe('input');
      expect(error.message).toMatch(/Excessive alias count/);
      expect(error.location).toMatchObject({ file: 'bomb.yaml', line: 9 });
      expect(error.hint).toMatch(/at most 1000 copies/);
    }
  });

  it('refuses a text with more nodes than the bound before parsing it', () => {
    const text = `a: [${'1,'.repeat(YAML_LIMITS.nodes)}1]`;
    const started = performance.now();
    expect(failure(() => parseYamlSource('wide.yaml', text)).message).toMatch(/YAML too complex/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses nesting deeper than the bound, and nesting that would overflow the stack', () => {
    expect(
      failure(() => parseYamlSource('d.yaml', `a: ${'['.repeat(300)}${']'.repeat(300)}`)).message,
    ).toMatch(/nested more than 256 levels/);
    expect(failure(() => parseYamlSource('d.yaml', `a: ${'['.repeat(20_000)}`)).kind).toBe('input');
    // deep enough to end the parser's own stack: said as such, not as its JS message
    const deep = failure(() => parseYamlSource('d.yaml', `a: ${'['.repeat(2000)}${']'.repeat(2000)}`));
    expect(deep.kind).toBe('input');
    expect(deep.message).not.toMatch(/Maximum call stack/);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const file = await temp.write('big.yaml', '');
    await writeFile(file, Buffer.alloc(YAML_LIMITS.bytes + 1, 0x20));
    const error = await readTextFile(file, 'scenario file').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).message).toMatch(/is 16 MiB, more than the 16 MiB limit/);
  });
});
