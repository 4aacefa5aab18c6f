import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCrds } from './crd.js';
import { GenerationError, synthesizeBody } from './from-schema.js';
import type { JsonSchema } from './json-schema.js';
import { streamFor } from './rng.js';
import { type Violation, validateValue } from './validate-object.js';

function errorsFor(schema: JsonSchema, value: unknown): Violation[] {
  const out: Violation[] = [];
  validateValue(schema, value, '', out, true);
  return out.filter((violation) => violation.severity === 'error');
}

/** Arbitrary structural schemas of the kinds real CRDs contain (no patterns: they cannot be inverted). */
const schemaArb: fc.Arbitrary<JsonSchema> = fc.letrec<{ schema: JsonSchema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record(
      {
        type: fc.constant('string'),
        format: fc.constantFrom(undefined, 'date-time', 'uuid', 'ipv4', 'byte', 'cidr'),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record({
      type: fc.constant('string'),
      minLength: fc.integer({ min: 0, max: 20 }),
      maxLength: fc.constant(40),
    }),
    fc.record({
      type: fc.constant('string'),
      enum: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }),
    }),
    fc
      .record({
        type: fc.constant('integer'),
        minimum: fc.integer({ min: -50, max: 50 }),
        span: fc.integer({ min: 0, max: 100 }),
      })
      .map(({ type, minimum, span }) => ({ type, minimum, maximum: minimum + span })),
    fc.record({ type: fc.constant('number'), minimum: fc.constant(0), maximum: fc.constant(1) }),
    fc.constant<JsonSchema>({ type: 'boolean' }),
    fc.constant<JsonSchema>({ 'x-kubernetes-int-or-string': true }),
    fc.constant<JsonSchema>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
    fc.constant<JsonSchema>({}),
    fc.record({ type: fc.constant('array'), items: tie('schema'), minItems: fc.integer({ min: 0, max: 3 }) }),
    fc
      .dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), tie('schema'), { maxKeys: 4 })
      .chain((properties) =>
        fc
          .subarray(Object.keys(properties))
          .map((required) => ({ type: 'object', properties, required }) as JsonSchema),
      ),
  ),
})).schema;

/** A root schema whose spec requires every given field. */
function object(fields: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties: { spec: { type: 'object', required: Object.keys(fields), properties: fields } },
  };
}

describe('schema-driven synthesis', () => {
  it('property: the synthesised body validates against the schema it came from', () => {
    fc.assert(
      fc.property(
        schemaArb,
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom('required', 'all'),
        (spec, index, fill) => {
          const root: JsonSchema = { type: 'object', properties: { spec }, required: ['spec'] };
          const body = synthesizeBody(root, streamFor(1, 'p', index), index, fill as 'required' | 'all');
          expect(errorsFor(root, body)).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fills all 14 VitiStack CRDs with valid values: patterns, CEL rules and all (200 objects each, both fills)', async () => {
    const crds = await builtinCrds();
    expect(crds).toHaveLength(14);
    for (const crd of crds) {
      const schema = crd.versions[0]?.schema as JsonSchema;
      for (const fill of ['required', 'all'] as const) {
        for (let index = 0; index < 200; index++) {
          const body = synthesizeBody(schema, streamFor(5, crd.kind, index), index, fill);
          const object = { apiVersion: 'x', kind: crd.kind, metadata: {}, ...body };
          expect(errorsFor(schema, object), `${crd.kind} ${fill} ${index}`).toEqual([]);
        }
      }
    }
  });

  it('draws strings from a pattern within the length bounds, and readable ones when they fit', () => {
    const schema = object({
      version: { type: 'string', pattern: '^v?[0-9]+\\.[0-9]+\\.[0-9]+$' },
      cidr: { type: 'string', pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}$' },
      code: { type: 'string', pattern: '^[A-Z]{2}-[0-9]+$', minLength: 6, maxLength: 8 },
      word: { type: 'string', pattern: '(?i)^hello[a-z]*\\z' },
    });
    for (let index = 0; index < 300; index++) {
      const body = synthesizeBody(schema, streamFor(2, 'p', index), index, 'required');
      expect(errorsFor(schema, body)).toEqual([]);
      const spec = body.spec as Record<string, string>;
      expect(spec.version).toMatch(/^v1\.\d+\.\d+$/);
      expect(spec.cidr).toMatch(/^10\.\d+\.\d+\.0\/24$/);
    }
  });

  it('makes unique items for sets and list maps, and keeps to maxItems', () => {
    const schema = object({
      zones: {
        type: 'array',
        items: { type: 'string', enum: ['a', 'b', 'c'] },
        minItems: 3,
        uniqueItems: true,
      },
      pools: {
        type: 'array',
        minItems: 4,
        maxItems: 4,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', enum: ['x', 'y', 'z', 'w'] } },
        },
      },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 0 },
    });
    for (let index = 0; index < 50; index++) {
      const body = synthesizeBody(schema, streamFor(3, 'u', index), index, 'all');
      expect(errorsFor(schema, body)).toEqual([]);
      expect((body.spec as { tags: unknown[] }).tags).toEqual([]);
    }
  });

  it('draws again until a CEL rule holds (odd replicas), deterministically per seed', () => {
    const replicas: JsonSchema = {
      type: 'integer',
      minimum: 1,
      'x-kubernetes-validations': [{ rule: 'self % 2 == 1', message: 'odd' }],
    };
    const schema = object({ replicas });
    const values = Array.from(
      { length: 100 },
      (_, index) =>
        (synthesizeBody(schema, streamFor(4, 'c', index), index, 'required').spec as { replicas: number })
          .replicas,
    );
    expect(values.every((value) => value % 2 === 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(10);
    expect(
      (synthesizeBody(schema, streamFor(4, 'c', 7), 7, 'required').spec as { replicas: number }).replicas,
    ).toBe(values[7]);
  });

  it('names the field and the constraint that no value meets', () => {
    const cases: Array<[JsonSchema, string, PropertyKey[], RegExp]> = [
      [
        { type: 'string', pattern: '^[a-z]{5}$', maxLength: 3 },
        '.spec.x',
        ['properties', 'spec', 'properties', 'x'],
        /pattern \^\[a-z\]\{5\}\$, maxLength 3/,
      ],
      [
        { type: 'integer', minimum: 5, maximum: 4 },
        '.spec.x',
        ['properties', 'spec', 'properties', 'x'],
        /minimum 5, maximum 4/,
      ],
      [
        { type: 'array', minItems: 3, maxItems: 2, items: { type: 'string' } },
        '.spec.x',
        ['properties', 'spec', 'properties', 'x'],
        /minItems 3, maxItems 2/,
      ],
      [
        { type: 'array', minItems: 3, uniqueItems: true, items: { type: 'boolean' } },
        '.spec.x',
        ['properties', 'spec', 'properties', 'x'],
        /minItems 3 with uniqueItems \(only 2 distinct items found\)/,
      ],
      [
        { type: 'integer', maximum: 9, 'x-kubernetes-validations': [{ rule: 'self > 10' }] },
        '.spec.x',
        ['properties', 'spec', 'properties', 'x', 'x-kubernetes-validations'],
        /rule "self > 10" after 50 draws/,
      ],
    ];
    for (const [x, path, schemaPath, constraint] of cases) {
      let thrown: unknown;
      try {
        synthesizeBody(object({ x }), streamFor(1, 'e'), 0, 'required');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(GenerationError);
      expect((thrown as GenerationError).path).toBe(path);
      expect((thrown as GenerationError).schemaPath).toEqual(schemaPath);
      expect((thrown as GenerationError).constraint).toMatch(constraint);
    }
  });

  it('honours enums, defaults and formats', () => {
    const schema: JsonSchema = {
      type: 'object',
      required: ['spec'],
      properties: {
        spec: {
          type: 'object',
          required: ['type', 'replicas', 'since'],
          properties: {
            type: { type: 'string', enum: ['aws', 'gcp'] },
            replicas: { type: 'integer', default: 3 },
            since: { type: 'string', format: 'date-time' },
          },
        },
      },
    };
    const body = synthesizeBody(schema, streamFor(1, 'x'), 0, 'required') as {
      spec: Record<string, unknown>;
    };
    expect(['aws', 'gcp']).toContain(body.spec.type);
    expect(body.spec.replicas).toBe(3);
    expect(body.spec.since).toBe('2026-01-01T00:00:00Z');
  });
});

describe('a schema asking for more than an object can hold is refused at once, memory bounded', () => {
  const spec = (field: JsonSchema): JsonSchema => ({
    type: 'object',
    properties: { spec: { type: 'object', required: ['f'], properties: { f: field } } },
  });
  const refusal = (field: JsonSchema) => {
    const started = performance.now();
    try {
      synthesizeBody(spec(field), streamFor(1, 'p', 0), 0, 'required');
    } catch (error) {
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(GenerationError);
      return (error as GenerationError).constraint;
    }
    throw new Error('generated');
  };

  it.each<[string, JsonSchema, RegExp]>([
    [
      'minItems 1e9',
      { type: 'array', minItems: 1e9, items: { type: 'string' } },
      /^minItems 1000000000: more than the 100,000 values/,
    ],
    [
      'nested minItems 1e5 × 1e5',
      {
        type: 'array',
        minItems: 50_000,
        items: { type: 'array', minItems: 50_000, items: { type: 'integer' } },
      },
      /values/,
    ],
    [
      'minProperties 1e9',
      { type: 'object', minProperties: 1e9 },
      /^minProperties 1000000000: more than the 100,000 values/,
    ],
    ['minLength 1e9', { type: 'string', minLength: 1e9 }, /minLength 1000000000/],
  ])('%s', (_, field, constraint) => {
    expect(refusal(field)).toMatch(constraint);
  });
});
