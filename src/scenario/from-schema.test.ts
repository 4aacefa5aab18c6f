import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinCrds } from './crd.js';
import { synthesizeBody } from './from-schema.js';
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

  it('fills every required field of our CRDs with valid values', async () => {
    for (const crd of await builtinCrds()) {
      const schema = crd.versions[0]?.schema as JsonSchema;
      for (const fill of ['required', 'all'] as const) {
        const body = synthesizeBody(schema, streamFor(5, crd.kind), 3, fill);
        expect(errorsFor(schema, { apiVersion: 'x', kind: crd.kind, metadata: {}, ...body })).toEqual([]);
      }
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
