import { isPlainObject } from '../util/plain-object.js';
import type { JsonSchema } from './json-schema.js';
import { type Rng, randomHex, randomInt, randomUuid } from './rng.js';
import { checkStringFormat } from './validate-object.js';

/**
 * Synthesises a value that satisfies a CRD schema, so any CRD can be load-tested without writing a
 * template: required fields (or every field with fill "all"), enums, formats, bounds, defaults.
 * Patterns cannot be inverted in general; a value that misses a pattern is reported by validation.
 */

export type Fill = 'required' | 'all';

interface Context {
  rng: Rng;
  index: number;
  fill: Fill;
  depth: number;
}

const MAX_DEPTH = 24;
const BASE_TIME = Date.UTC(2026, 0, 1);

function stringFor(schema: JsonSchema, name: string, ctx: Context): string {
  const format = schema.format;
  let value: string;
  switch (format) {
    case 'date-time':
    case 'datetime':
      value = new Date(BASE_TIME + ctx.index * 1000).toISOString().replace('.000Z', 'Z');
      break;
    case 'date':
      value = new Date(BASE_TIME + ctx.index * 86_400_000).toISOString().slice(0, 10);
      break;
    case 'uuid':
    case 'uuid4':
    case 'uuid3':
    case 'uuid5':
      value = randomUuid(ctx.rng);
      break;
    case 'byte':
      value = Buffer.from(`vitictl-${ctx.index}`).toString('base64');
      break;
    case 'ipv4':
      value = `10.${(ctx.index >> 16) & 255}.${(ctx.index >> 8) & 255}.${ctx.index & 255}`;
      break;
    case 'ipv6':
      value = `fd00::${(ctx.index & 0xffff).toString(16)}`;
      break;
    case 'cidr':
      value = `10.${(ctx.index >> 8) & 255}.${ctx.index & 255}.0/24`;
      break;
    case 'hostname':
      value = `host-${ctx.index}.example.com`;
      break;
    case 'email':
      value = `user${ctx.index}@example.com`;
      break;
    case 'uri':
      value = `https://example.com/${ctx.index}`;
      break;
    case 'mac':
      value = `02:00:${randomHex(ctx.rng, 2)}:${randomHex(ctx.rng, 2)}:${randomHex(ctx.rng, 2)}:${randomHex(ctx.rng, 2)}`;
      break;
    case 'duration':
      value = `${randomInt(ctx.rng, 1, 60)}s`;
      break;
    default: {
      const base = name.replace(/[^A-Za-z0-9-]/g, '').toLowerCase() || 'value';
      value = `${base}-${ctx.index}`;
    }
  }
  return fitLength(schema, value, ctx);
}

function fitLength(schema: JsonSchema, value: string, ctx: Context): string {
  let out = value;
  if (schema.maxLength !== undefined && out.length > schema.maxLength) out = out.slice(0, schema.maxLength);
  if (schema.minLength !== undefined && out.length < schema.minLength) {
    out += randomHex(ctx.rng, schema.minLength - out.length);
  }
  if (schema.pattern !== undefined && !matches(schema.pattern, out)) {
    const fallback = ['a', 'abc', 'a1', '1', 'example', 'A', 'x-1', 'foo.bar'].find(
      (candidate) =>
        matches(schema.pattern as string, candidate) &&
        (schema.minLength === undefined || candidate.length >= schema.minLength) &&
        (schema.maxLength === undefined || candidate.length <= schema.maxLength) &&
        (schema.format === undefined || checkStringFormat(schema.format, candidate)),
    );
    if (fallback !== undefined) out = fallback;
  }
  return out;
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return true;
  }
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
    const slots = Math.max(0, Math.floor((high - first) / step));
    return first + step * randomInt(ctx.rng, 0, slots);
  }
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
    });
  }
  delete merged.allOf;
  delete merged.oneOf;
  delete merged.anyOf;
  return merged;
}

function valueFor(raw: JsonSchema, name: string, ctx: Context): unknown {
  const schema = mergeAllOf(raw);
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[Math.floor(ctx.rng() * schema.enum.length)];
  if (schema['x-kubernetes-int-or-string'] === true) return numberFor(schema, ctx, true);
  const type = schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined);
  switch (type) {
    case 'string':
      return stringFor(schema, name, ctx);
    case 'integer':
      return numberFor(schema, ctx, true);
    case 'number':
      return numberFor(schema, ctx, false);
    case 'boolean':
      return ctx.rng() < 0.5;
    case 'array': {
      const count = Math.max(schema.minItems ?? 0, ctx.fill === 'all' ? 1 : 0);
      const items: unknown[] = [];
      const seen = new Set<string>();
      const unique = schema.uniqueItems === true || schema['x-kubernetes-list-type'] === 'set';
      for (let i = 0, tries = 0; items.length < count && tries < count * 10 && schema.items; tries++, i++) {
        const item = valueFor(schema.items, name, {
          ...ctx,
          index: ctx.index * 31 + i,
          depth: ctx.depth + 1,
        });
        const key = JSON.stringify(item);
        if (unique && seen.has(key)) continue;
        seen.add(key);
        items.push(item);
      }
      return items;
    }
    case 'object':
      return objectFor(schema, ctx);
    default:
      return schema['x-kubernetes-preserve-unknown-fields'] ? {} : `${name || 'value'}-${ctx.index}`;
  }
}

function objectFor(schema: JsonSchema, ctx: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (ctx.depth >= MAX_DEPTH) return out;
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const names =
    ctx.fill === 'all' ? Object.keys(properties) : Object.keys(properties).filter((key) => required.has(key));
  for (const key of names) {
    const child = properties[key];
    if (child) out[key] = valueFor(child, key, { ...ctx, depth: ctx.depth + 1 });
  }
  // required names that have no property schema (real CRDs have these): any value is accepted
  for (const key of required) if (!(key in out)) out[key] = `${key}-${ctx.index}`;
  const minProperties = schema.minProperties ?? 0;
  if (Object.keys(out).length < minProperties && isPlainObject(schema.additionalProperties)) {
    for (let i = Object.keys(out).length; i < minProperties; i++) {
      out[`key${i}`] = valueFor(schema.additionalProperties, `key${i}`, { ...ctx, depth: ctx.depth + 1 });
    }
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
  const ctx: Context = { rng, index, fill, depth: 0 };
  for (const [key, child] of Object.entries(properties)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status') continue;
    // spec is almost always optional at the root, yet it is what a load test is about
    if (key === 'spec' || required.has(key) || fill === 'all') body[key] = valueFor(child, key, ctx);
  }
  return body;
}
