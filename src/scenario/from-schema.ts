import { isPlainObject } from '../util/plain-object.js';
import { celRules, evaluateRule } from './cel.js';
import type { JsonSchema } from './json-schema.js';
import { type Rng, randomInt } from './rng.js';
import { stringConstraints, stringFor } from './schema-strings.js';
import { canonical } from './validate-object.js';

/**
 * Synthesises a value that satisfies a CRD schema, so any CRD can be load-tested without writing a
 * template: required fields (or every field with fill "all"), enums, formats, patterns, lengths,
 * bounds, item counts, uniqueness, defaults and the CEL rules the evaluator can run. A value that
 * breaks a CEL rule is drawn again, a bounded number of times; a constraint that cannot be met is a
 * GenerationError naming the field and the constraint.
 */

export type Fill = 'required' | 'all';

/** No value meets a schema's constraints: `path` is the field, `schemaPath` its schema node. */
export class GenerationError extends Error {
  constructor(
    readonly path: string,
    readonly schemaPath: PropertyKey[],
    readonly constraint: string,
  ) {
    super(`no value of ${path || '.'} meets ${constraint}`);
    this.name = 'GenerationError';
  }
}

interface Context {
  rng: Rng;
  index: number;
  fill: Fill;
  depth: number;
  path: string;
  schemaPath: PropertyKey[];
  /** values still to be made for this object: shared by every child context */
  budget: { left: number };
}

const MAX_DEPTH = 24;
/**
 * Values one object may hold (every string, number, item and property counts). A schema's minItems,
 * minProperties and minLength are its author's word: a hostile or mistaken one (minItems 1e9) must be
 * refused, not filled until memory runs out. The API server stores at most ~1.5 MiB per object.
 */
export const MAX_VALUES_PER_OBJECT = 100_000;
/** draws of one value whose CEL rules fail before generation gives up */
export const RULE_ATTEMPTS = 50;

function fail(ctx: Context, constraint: string): never {
  throw new GenerationError(ctx.path, ctx.schemaPath, constraint);
}

function child(ctx: Context, path: string, schemaPath: PropertyKey[], index = ctx.index): Context {
  return {
    ...ctx,
    index,
    depth: ctx.depth + 1,
    path: `${ctx.path}${path}`,
    schemaPath: [...ctx.schemaPath, ...schemaPath],
  };
}

function numberFor(schema: JsonSchema, ctx: Context, integer: boolean): number {
  const exclusiveMin = schema.exclusiveMinimum === true ? (integer ? 1 : 0.5) : 0;
  const exclusiveMax = schema.exclusiveMaximum === true ? (integer ? 1 : 0.5) : 0;
  let min = schema.minimum !== undefined ? schema.minimum + exclusiveMin : undefined;
  let max = schema.maximum !== undefined ? schema.maximum - exclusiveMax : undefined;
  if (integer) {
    min = min === undefined ? undefined : Math.ceil(min);
    max = max === undefined ? undefined : Math.floor(max);
  }
  const low = min ?? (max !== undefined ? Math.min(0, max - 100) : 1);
  const high = max ?? low + 100;
  const step = schema.multipleOf && schema.multipleOf > 0 ? schema.multipleOf : 1;
  if (integer || step !== 1) {
    const first = Math.ceil(low / step) * step;
    const slots = Math.floor((high - first) / step);
    if (slots < 0) fail(ctx, `minimum ${schema.minimum}, maximum ${schema.maximum}, multipleOf ${step}`);
    return first + step * randomInt(ctx.rng, 0, slots);
  }
  if (low > high) fail(ctx, `minimum ${schema.minimum}, maximum ${schema.maximum}`);
  return Math.round((low + ctx.rng() * (high - low)) * 100) / 100;
}

function mergeAllOf(schema: JsonSchema): JsonSchema {
  const parts = [
    schema,
    ...(schema.allOf ?? []),
    ...(schema.oneOf?.slice(0, 1) ?? []),
    ...(schema.anyOf?.slice(0, 1) ?? []),
  ];
  if (parts.length === 1) return schema;
  const merged: JsonSchema = {};
  for (const part of parts) {
    Object.assign(merged, part, {
      properties: { ...merged.properties, ...part.properties },
      required: [...new Set([...(merged.required ?? []), ...(part.required ?? [])])],
      'x-kubernetes-validations': [
        ...(merged['x-kubernetes-validations'] ?? []),
        ...(part['x-kubernetes-validations'] ?? []),
      ],
    });
  }
  delete merged.allOf;
  delete merged.oneOf;
  delete merged.anyOf;
  return merged;
}

function arrayFor(schema: JsonSchema, name: string, ctx: Context): unknown[] {
  const min = schema.minItems ?? 0;
  const max = schema.maxItems ?? Number.POSITIVE_INFINITY;
  if (min > max) fail(ctx, `minItems ${min}, maxItems ${max}`);
  if (min > ctx.budget.left)
    fail(
      ctx,
      `minItems ${min}: more than the ${MAX_VALUES_PER_OBJECT.toLocaleString('en-US')} values vitictl makes for one object`,
    );
  const count = Math.min(max, Math.max(min, ctx.fill === 'all' ? 1 : 0));
  const listType = schema['x-kubernetes-list-type'];
  const mapKeys = schema['x-kubernetes-list-map-keys'];
  const unique = schema.uniqueItems === true || listType === 'set' || listType === 'map';
  const keyOf = (item: unknown) =>
    listType === 'map' && mapKeys && isPlainObject(item)
      ? canonical(mapKeys.map((key) => item[key]))
      : canonical(item);
  const items: unknown[] = [];
  const seen = new Set<string>();
  for (let draw = 0; items.length < count; draw++) {
    if (draw >= count * RULE_ATTEMPTS) {
      const what = listType === 'map' ? `x-kubernetes-list-map-keys ${mapKeys?.join(', ')}` : 'uniqueItems';
      fail(ctx, `minItems ${count} with ${what} (only ${items.length} distinct items found)`);
    }
    const at = child(ctx, `[${items.length}]`, ['items'], ctx.index * 31 + draw);
    const item = schema.items ? valueFor(schema.items, name, at) : `${name || 'item'}-${draw}`;
    const key = keyOf(item);
    if (unique && seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return items;
}

function drawValue(schema: JsonSchema, name: string, ctx: Context): unknown {
  if (schema.enum && schema.enum.length > 0) return schema.enum[Math.floor(ctx.rng() * schema.enum.length)];
  if (schema['x-kubernetes-int-or-string'] === true) return numberFor(schema, ctx, true);
  const type = schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  switch (type) {
    case 'string':
      return stringFor(schema, name, ctx.index, ctx.rng) ?? fail(ctx, stringConstraints(schema));
    case 'integer':
      return numberFor(schema, ctx, true);
    case 'number':
      return numberFor(schema, ctx, false);
    case 'boolean':
      return ctx.rng() < 0.5;
    case 'array':
      return arrayFor(schema, name, ctx);
    case 'object':
      return objectFor(schema, ctx);
    default:
      return schema['x-kubernetes-preserve-unknown-fields'] ? {} : `${name || 'value'}-${ctx.index}`;
  }
}

function valueFor(raw: JsonSchema, name: string, ctx: Context): unknown {
  if (--ctx.budget.left < 0)
    fail(ctx, `at most ${MAX_VALUES_PER_OBJECT.toLocaleString('en-US')} values in one object`);
  const schema = mergeAllOf(raw);
  if (schema.default !== undefined) return schema.default;
  const rules = celRules(schema);
  if (rules.length === 0) return drawValue(schema, name, ctx);
  let broken = rules[0];
  for (let attempt = 0; attempt < RULE_ATTEMPTS; attempt++) {
    const value = drawValue(schema, name, ctx);
    broken = rules.find((rule) => evaluateRule(rule, schema, value) === 'fail');
    if (!broken) return value;
  }
  return fail(
    { ...ctx, schemaPath: [...ctx.schemaPath, 'x-kubernetes-validations'] },
    `rule ${JSON.stringify(broken?.rule)}${broken?.message ? ` (${broken.message})` : ''} after ${RULE_ATTEMPTS} draws`,
  );
}

function objectFor(schema: JsonSchema, ctx: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (ctx.depth >= MAX_DEPTH) return out;
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const optional = Object.keys(properties).filter((key) => !required.has(key));
  const maxProperties = schema.maxProperties ?? Number.POSITIVE_INFINITY;
  const minProperties = schema.minProperties ?? 0;
  if (minProperties > ctx.budget.left)
    fail(
      ctx,
      `minProperties ${minProperties}: more than the ${MAX_VALUES_PER_OBJECT.toLocaleString('en-US')} values vitictl makes for one object`,
    );
  if (required.size > maxProperties)
    fail(ctx, `${required.size} required properties, maxProperties ${maxProperties}`);
  const wanted = ctx.fill === 'all' ? optional.length : Math.max(0, minProperties - required.size);
  const names = [...required, ...optional.slice(0, Math.min(wanted, maxProperties - required.size))];
  for (const key of names) {
    const schemaOf = properties[key];
    // required names without a property schema (real CRDs have these): any value is accepted
    out[key] = schemaOf
      ? valueFor(schemaOf, key, child(ctx, `.${key}`, ['properties', key]))
      : `${key}-${ctx.index}`;
  }
  const additional = isPlainObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const extra = Math.max(minProperties - names.length, additional && ctx.fill === 'all' ? 1 : 0);
  for (let i = 0; i < extra && names.length + i < maxProperties; i++) {
    const key = `key${i}`;
    out[key] = additional
      ? valueFor(additional, key, child(ctx, `.${key}`, ['additionalProperties']))
      : `value-${i}`;
  }
  if (Object.keys(out).length < minProperties) fail(ctx, `minProperties ${minProperties}`);
  if (schema['x-kubernetes-embedded-resource'] === true) {
    out.apiVersion ??= 'v1';
    out.kind ??= 'ConfigMap';
    out.metadata ??= { name: `embedded-${ctx.index}` };
  }
  return out;
}

/**
 * The body of an object (spec and other top-level fields except apiVersion/kind/metadata/status)
 * synthesised from the kind's schema.
 */
export function synthesizeBody(
  schema: JsonSchema | undefined,
  rng: Rng,
  index: number,
  fill: Fill,
): Record<string, unknown> {
  if (!schema) return {};
  const root = mergeAllOf(schema);
  const properties = root.properties ?? {};
  const body: Record<string, unknown> = {};
  const required = new Set(root.required ?? []);
  const ctx: Context = {
    rng,
    index,
    fill,
    depth: 0,
    path: '',
    schemaPath: [],
    budget: { left: MAX_VALUES_PER_OBJECT },
  };
  for (const [key, child_] of Object.entries(properties)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status') continue;
    // spec is almost always optional at the root, yet it is what a load test is about
    if (key === 'spec' || required.has(key) || fill === 'all') {
      body[key] = valueFor(child_, key, child(ctx, `.${key}`, ['properties', key]));
    }
  }
  return body;
}
