import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toYaml } from './yaml-emit.js';

const normalise = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe('toYaml', () => {
  it('writes a manifest in block style', () => {
    const text = toYaml({
      apiVersion: 'vitistack.io/v1alpha1',
      kind: 'Machine',
      metadata: { name: 'm-1', labels: { 'vitictl.io/run-id': 'r1' } },
      spec: { disks: [{ name: 'root', sizeGB: 20 }], tags: {}, sshKeys: [], os: { version: '24.04' } },
    });
    expect(text).toBe(
      [
        'apiVersion: vitistack.io/v1alpha1',
        'kind: Machine',
        'metadata:',
        '  name: m-1',
        '  labels:',
        '    vitictl.io/run-id: r1',
        'spec:',
        '  disks:',
        '  - name: root',
        '    sizeGB: 20',
        '  tags: {}',
        '  sshKeys: []',
        '  os:',
        '    version: "24.04"',
        '',
      ].join('\n'),
    );
  });

  it.each([
    'true',
    'No',
    'on',
    'y',
    'null',
    '~',
    '1e3',
    '0x1f',
    '2026-01-01',
    '',
    ' lead',
    'a: b',
    '- x',
    '#c',
    '.inf',
    'e0',
    'e-0',
    'E-12',
  ])('quotes the ambiguous string %j', (value) => {
    expect(parse(toYaml({ value }))).toEqual({ value });
    expect(parse(toYaml({ value }), { version: '1.1' })).toEqual({ value });
  });

  it('writes exponent numbers so YAML 1.1 reads them as numbers', () => {
    expect(parse(toYaml({ n: 1e21, m: 1e-7 }), { version: '1.1' })).toEqual({ n: 1e21, m: 1e-7 });
  });

  it('property: any JSON value reads back equal under YAML 1.2 and 1.1', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = normalise(value);
        const text = toYaml(expected);
        expect(parse(text)).toEqual(expected);
        expect(parse(text, { version: '1.1' })).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });
});
