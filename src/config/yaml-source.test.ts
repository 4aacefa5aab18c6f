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

  it('reads a value of 600,000 dashes: characters inside a scalar are not nodes', () => {
    const dashes = '-'.repeat(600_000);
    for (const text of [
      `data:\n  big: "${dashes}"\n`,
      `data:\n  big: '${dashes}'\n`,
      `data:\n  big: x${dashes}\n`,
      `data:\n  big: |\n    ${dashes}\n`,
    ]) {
      const { value } = parseYamlSource('cm.yaml', text);
      expect((value as { data: { big: string } }).data.big).toMatch(/-{600000}/);
    }
  });

  it('reads a CRD (JSON) whose patterns are 100 KB of [a-z] classes', () => {
    const pattern = `^${'[a-z]'.repeat(20_000)}$`;
    const properties = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`p${i}`, { type: 'string', pattern }]),
    );
    const crd = { kind: 'CustomResourceDefinition', spec: { versions: [{ schema: { properties } }] } };
    const [source] = parseYamlStream('crd.json', JSON.stringify(crd, null, 1));
    expect(source?.value).toEqual(crd);
  });

  it('still refuses 600,000 real nodes, line breaks or commas before parsing them', () => {
    for (const text of [
      '- 1\n'.repeat(600_000),
      `a: [${'1,'.repeat(600_000)}1]`,
      `{${Array.from({ length: 300_000 }, (_, i) => `"k${i}": 1`).join(',')}}`,
      `a: 1${'\n'.repeat(600_000)}`, // not nodes, but 37 s and 1.5 GB for 16 MiB of them
      `a: [1${','.repeat(600_000)}]`, // one error each
      `a: 1\n${'}'.repeat(600_000)}\n`, // and characters the first estimate once missed
      `a: ${'&a '.repeat(600_000)}x\n`,
      `a: "${'\\q'.repeat(600_000)}"\n`, // one error per bad escape, in one scalar
    ]) {
      const started = performance.now();
      const error = failure(() => parseYamlStream('big.yaml', text));
      expect(error.message).toMatch(/YAML too complex: more than the 500,000 values/);
      expect(error.hint).toMatch(/largest real CRDs/);
      expect(performance.now() - started).toBeLessThan(5000); // a hang guard: it takes well under 1 s
    }
  });

  it('reads 150,000 keys of one map: duplicate keys are found in linear time', () => {
    const text = `data:\n${Array.from({ length: 150_000 }, (_, i) => `  k${i}: v\n`).join('')}`;
    const started = performance.now();
    const { value } = parseYamlSource('cm.yaml', text);
    expect(Object.keys((value as { data: object }).data)).toHaveLength(150_000);
    expect(performance.now() - started).toBeLessThan(20_000); // a hang guard: it takes ~2 s
  }, 60_000);

  it('reports the first of many errors on one long line in linear time', () => {
    // one error per comma, and the package once copied the whole line for each: ~40 s for these
    const text = `a: [1${','.repeat(200_000)}\n`;
    const started = performance.now();
    const error = failure(() => parseYamlStream('commas.yaml', text));
    expect(error.message).toMatch(/^malformed YAML: /);
    expect(error.location).toMatchObject({ file: 'commas.yaml', line: 1 });
    expect(performance.now() - started).toBeLessThan(20_000); // a hang guard: ~1 s
  }, 60_000);

  it('reports a duplicate key at the duplicate, as it always did', () => {
    const cases: Array<[string, number, number]> = [
      ['a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n', 5, 3],
      ['{"a": 1, "b": 2, "a": 3}', 1, 18],
      ['list:\n  - {x: 1}\n  - [y: 1, y: 2]\n  - {z: 1, z: 2}\n', 4, 12],
      ['1: x\n0x1: y\n', 2, 1], // keys compare by value
      ['"a": 1\n\'a\': 2\n', 2, 1],
      [
        `${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:\n`).join('')}${' '.repeat(200)}b: 1\n${' '.repeat(200)}b: 2\n`,
        202,
        201,
      ],
      ['a: 1\na: 2\nb: [\n', 2, 1], // before a later syntax error
    ];
    for (const [text, line, column] of cases)
      for (const parse of [parseYamlSource, parseYamlStream]) {
        const error = failure(() => parse('dup.yaml', text));
        expect(error.message).toBe('malformed YAML: Map keys must be unique');
        expect(error.location).toEqual({ file: 'dup.yaml', line, column });
        expect(error.hint).toBe('check indentation and quoting around that position');
      }
    // in the second document of a stream
    expect(failure(() => parseYamlStream('s.yaml', 'a: 1\n---\nb: 1\nb: 2\n')).location).toEqual({
      file: 's.yaml',
      line: 4,
      column: 1,
    });
    // keys of different values, or not scalars (compared by identity, as the yaml package does)
    expect(parseYamlSource('k.yaml', '1: x\n"1": y\n.nan: a\n.nan: b\n').value).toBeTruthy();
    expect(parseYamlSource('k.yaml', '? [a]\n: 1\n? [a]\n: 2\n').value).toBeTruthy();
  });
});
