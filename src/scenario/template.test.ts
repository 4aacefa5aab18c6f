import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import { compileString, compileValue } from './template.js';

const known = new Set(['index', 'name', 'size', 'arch', 'disk']);
const fail = (message: string): never => {
  throw new VitictlError('input', message);
};
const locate = () => ({ file: 'scenario.yaml', line: 3, column: 5 });

describe('template strings', () => {
  it('keeps the type of a lone placeholder', () => {
    expect(compileString('{{size}}', known, fail)({ size: 120 })).toBe(120);
    expect(compileString('{{ disk }}', known, fail)({ disk: { sizeGB: 1 } })).toEqual({ sizeGB: 1 });
  });

  it('interpolates mixed text into a string', () => {
    expect(compileString('vm-{{index}}-{{arch}}', known, fail)({ index: 7, arch: 'arm64' })).toBe(
      'vm-7-arm64',
    );
  });

  it('applies filters left to right', () => {
    expect(compileString('m-{{index | pad 5}}', known, fail)({ index: 42 })).toBe('m-00042');
    expect(compileString('{{index | add 1 | pad 3}}', known, fail)({ index: 9 })).toBe('010');
    expect(compileString('{{arch | upper}}', known, fail)({ arch: 'amd64' })).toBe('AMD64');
  });

  it('rejects an undefined variable and names the defined ones', () => {
    expect(() => compileString('{{nmae}}', known, fail)).toThrow(
      /undefined template variable "nmae" \(defined: arch, disk, index, name, size\)/,
    );
  });

  it.each([
    ['{{index', /unclosed "\{\{"/],
    ['{{}}', /empty placeholder/],
    ['{{index | round}}', /unknown filter "round"/],
    ['{{index | pad}}', /needs an integer argument/],
    ['{{index | pad 2 3}}', /too many arguments/],
    ['{{1abc}}', /is not a variable name/],
  ])('rejects %s', (text, message) => {
    expect(() => compileString(text, known, fail)).toThrow(message);
  });

  it('leaves text without placeholders alone, including a stray "}}"', () => {
    expect(compileString('a }} b', known, fail)({})).toBe('a }} b');
  });
});

describe('template values', () => {
  it('renders nested objects and arrays, sharing constant subtrees', () => {
    const template = { spec: { disks: [{ sizeGB: '{{size}}', boot: true }], os: { family: 'linux' } } };
    const render = compileValue(template, known, locate);
    const first = render({ size: 10 }) as { spec: { os: unknown; disks: unknown[] } };
    const second = render({ size: 20 }) as { spec: { os: unknown; disks: unknown[] } };
    expect(first.spec.disks).toEqual([{ sizeGB: 10, boot: true }]);
    expect(second.spec.disks).toEqual([{ sizeGB: 20, boot: true }]);
    expect(first.spec.os).toBe(second.spec.os);
  });

  it('reports the location of a bad placeholder', () => {
    try {
      compileValue({ spec: { x: '{{nope}}' } }, known, locate);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(VitictlError);
      expect((error as VitictlError).location).toEqual({ file: 'scenario.yaml', line: 3, column: 5 });
      expect((error as VitictlError).exitCode).toBe(2);
    }
  });

  it('rejects placeholders in keys', () => {
    expect(() => compileValue({ '{{name}}': 1 }, known, locate)).toThrow(/not allowed in keys/);
  });

  it('property: any string either renders or fails with a VitictlError', () => {
    const pieces = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '{{',
        '}}',
        '{{index}}',
        '{{ name | pad 3 }}',
        '{{size|add -2}}',
        '|',
        ' pad ',
        '{{x}}',
      ),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 8 }), (parts) => {
        const text = parts.join('');
        try {
          const value = compileString(
            text,
            known,
            fail,
          )({ index: 1, name: 'n', size: 3, arch: 'a', disk: 2 });
          expect(['string', 'number']).toContain(typeof value);
        } catch (error) {
          expect(error).toBeInstanceOf(VitictlError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
