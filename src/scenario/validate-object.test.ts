import { describe, expect, it } from 'vitest';
import { checkStringFormat } from './formats.js';
import type { JsonSchema } from './json-schema.js';
import { stringProblems, type Violation, validateObject, validateValue } from './validate-object.js';

function check(schema: JsonSchema, value: unknown): Violation[] {
  const out: Violation[] = [];
  validateValue(schema, value, '', out);
  return out;
}
const errors = (schema: JsonSchema, value: unknown) =>
  check(schema, value)
    .filter((v) => v.severity === 'error')
    .map((v) => `${v.path}: ${v.message}`);

describe('schema validation', () => {
  const machine: JsonSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['cpu'],
        properties: {
          cpu: { type: 'object', properties: { cores: { type: 'integer', minimum: 1 } } },
          memory: { type: 'integer', format: 'int64' },
          disks: {
            type: 'array',
            items: {
              type: 'object',
              properties: { sizeGB: { type: 'integer' }, type: { type: 'string', enum: ['ssd', 'hdd'] } },
            },
          },
          os: { type: 'object', properties: { architecture: { type: 'string', enum: ['amd64', 'arm64'] } } },
          extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true },
          anything: {},
        },
      },
    },
  };

  it('reports type, enum, bound and required violations with JSON paths into nested arrays', () => {
    expect(
      errors(machine, {
        spec: {
          disks: [{ sizeGB: 10 }, { sizeGB: 'ten', type: 'nvme' }],
          os: { architecture: 'sparc' },
          memory: 1.5,
        },
      }),
    ).toEqual([
      '.spec.cpu: required field is missing',
      '.spec.disks[1].sizeGB: expected integer, got string "ten"',
      '.spec.disks[1].type: "nvme" is not one of "ssd", "hdd"',
      '.spec.os.architecture: "sparc" is not one of "amd64", "arm64"',
      '.spec.memory: expected integer, got number',
    ]);
    expect(errors(machine, { spec: { cpu: { cores: 0 } } })).toEqual([
      '.spec.cpu.cores: 0 is less than the minimum 1',
    ]);
  });

  it('accepts int-or-string, untyped fields and preserved unknown fields', () => {
    expect(
      check(machine, {
        spec: { cpu: {}, port: 'http', anything: [1, 'x'], extra: { deep: { whatever: true } } },
      }),
    ).toEqual([]);
    expect(errors(machine, { spec: { cpu: {}, port: 1.5 } })).toEqual([
      '.spec.port: expected integer or string, got number',
    ]);
  });

  it('warns about unknown fields the API server would prune', () => {
    expect(check(machine, { spec: { cpu: {}, cpuu: 2 } })).toEqual([
      {
        severity: 'warning',
        path: '.spec.cpuu',
        message: 'unknown field: the API server prunes it silently',
      },
    ]);
  });

  it('checks formats, lengths, patterns and item counts', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        at: { type: 'string', format: 'date-time' },
        ip: { type: 'string', format: 'ipv4' },
        code: { type: 'string', pattern: '^[A-Z]{3}$', maxLength: 3 },
        small: { type: 'integer', format: 'int32' },
        list: { type: 'array', minItems: 2, items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
      },
    };
    expect(
      errors(schema, { at: '2026-11-26T07:00:00Z', ip: '10.0.0.1', code: 'ABC', small: 5, list: ['a', 'b'] }),
    ).toEqual([]);
    expect(
      errors(schema, { at: 'yesterday', ip: '10.0.0.256', code: 'abcd', small: 2 ** 31, list: ['a', 'a'] }),
    ).toEqual([
      '.at: "yesterday" is not a valid date-time',
      '.ip: "10.0.0.256" is not a valid ipv4',
      '.code: string is longer than maxLength 3',
      '.code: "abcd" does not match pattern ^[A-Z]{3}$',
      '.small: 2147483648 is out of int32 range',
      '.list: items [0] and [1] are duplicates',
    ]);
  });

  it('refuses an object larger than etcd stores (1.5 MiB), whatever its schema allows', () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n' },
      data: { k: 'a-'.repeat(1_000_000) },
    };
    expect(validateObject(configMap, undefined, 'Namespaced')).toEqual([
      {
        severity: 'error',
        path: '',
        message:
          "the object's string values alone are 2,000,013 bytes as the API server stores them (protobuf): etcd stores at most 1,572,864 (1.5 MiB) per object by default, the API server would refuse it",
      },
      {
        severity: 'error',
        path: '.data',
        message:
          "the ConfigMap's data values are 2,000,000 bytes: the API server takes at most 1,048,576 (1 MiB)",
      },
    ]);
    // with a schema the kind is a custom resource, stored as JSON
    const machine = {
      ...configMap,
      apiVersion: 'example.com/v1',
      kind: 'Machine',
      data: { k: '<'.repeat(300_000) },
    };
    expect(
      validateObject(machine, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'Namespaced'),
    ).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /^the object is 1,800,\d{3} bytes as the API server stores it \(JSON\)/,
        ),
      }),
    ]);
  });

  it('matches patterns as Go does, in linear time: a backtracking pattern against a long value', () => {
    const schema: JsonSchema = { type: 'string', pattern: '^(a+)+$' };
    const started = performance.now();
    // the value is quoted cut, with its length: a megabyte of it would make a megabyte-long line
    expect(stringProblems(schema, `${'a'.repeat(5_000)}!`)).toEqual([
      `"${'a'.repeat(60)}"… (5,001 characters) does not match pattern ^(a+)+$`,
    ]);
    // an ECMAScript RegExp takes 2^5000 steps here
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(stringProblems({ type: 'string', pattern: '(?i)^[[:alpha:]]+\\z' }, 'Abc')).toEqual([]);
  });

  it('evaluates CEL rules on create (self), skips transition rules, warns about functions it lacks', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        replicas: {
          type: 'integer',
          'x-kubernetes-validations': [
            { rule: 'self % 2 == 1', message: 'must be odd' },
            { rule: 'self >= oldSelf', message: 'never shrinks' },
          ],
        },
        pool: {
          type: 'object',
          'x-kubernetes-validations': [{ rule: 'self.min <= self.max' }],
          properties: { min: { type: 'integer' }, max: { type: 'integer' } },
        },
        url: { type: 'string', 'x-kubernetes-validations': [{ rule: 'isURL(self)' }] },
      },
    };
    expect(errors(schema, { replicas: 3, pool: { min: 1, max: 2 } })).toEqual([]);
    expect(errors(schema, { replicas: 4, pool: { min: 3, max: 2 } })).toEqual([
      '.replicas: must be odd (x-kubernetes-validations: self % 2 == 1)',
      '.pool: failed rule (x-kubernetes-validations: self.min <= self.max)',
    ]);
    expect(check(schema, { url: 'https://x' })).toEqual([
      {
        severity: 'warning',
        path: '.url',
        message: 'rule isURL(self) cannot be evaluated here; the API server decides',
      },
    ]);
  });

  it('checks list-type map keys and combinators', () => {
    const schema: JsonSchema = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } },
    };
    expect(
      errors(schema, [
        { name: 'a', v: 1 },
        { name: 'a', v: 2 },
      ]),
    ).toEqual([': items [0] and [1] are duplicates (map keys name)']);
    const either: JsonSchema = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
    expect(errors(either, 'x')).toEqual([]);
    expect(errors(either, true)).toEqual(['.: matches 0 of the oneOf alternatives (exactly 1 required)']);
  });

  it('validates metadata like the API server: names, namespaces, scope and labels', () => {
    const namespaced = validateObject(
      {
        apiVersion: 'a/v1',
        kind: 'K',
        metadata: { name: 'Bad_Name', labels: { 'x/y': 'ok', 'bad key!': 'v' } },
      },
      undefined,
      'Namespaced',
    ).map((v) => `${v.path}: ${v.message}`);
    expect(namespaced).toEqual([
      '.metadata.name: "Bad_Name" is not a valid name (lowercase DNS subdomain, at most 253 characters)',
      '.metadata.namespace: a namespaced kind needs a namespace',
      ".metadata.labels.bad key!: label key \"bad key!\" must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric",
    ]);
    const cluster = validateObject({ metadata: { name: 'ok', namespace: 'ns' } }, undefined, 'Cluster');
    expect(cluster.map((v) => v.message)).toEqual(['a cluster-scoped kind has no namespace']);
  });

  it.each([
    ['cidr', '10.0.0.0/24', true],
    ['cidr', '10.0.0.0/33', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['byte', 'aGVsbG8=', true],
    ['byte', 'not base64!', false],
    ['duration', '1h30m', true],
    ['unknown-format', 'anything', true],
  ])('format %s accepts %j: %s', (format, value, ok) => {
    expect(checkStringFormat(format, value)).toBe(ok);
  });
});
