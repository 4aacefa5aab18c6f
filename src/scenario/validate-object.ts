import { isDnsLabel } from '../kube/names.js';
import { isPlainObject } from '../util/plain-object.js';
import { celRules, evaluateRule } from './cel.js';
import { checkStringFormat } from './formats.js';
import type { JsonSchema } from './json-schema.js';
import { fieldSizeProblems, isCustomResource, storedSizeProblem } from './object-size.js';
import { compilePattern } from './regex.js';

/**
 * Validates a value against a CRD's openAPIV3Schema with the API server's structural-schema
 * semantics: missing `type` accepts anything, `x-kubernetes-int-or-string`, preserve-unknown-fields,
 * list-type set/map uniqueness, CEL rules (x-kubernetes-validations) where the evaluator knows their
 * functions. Unknown fields are warnings, because the API server prunes them silently rather than
 * rejecting the object.
 */

export interface Violation {
  severity: 'error' | 'warning';
  path: string;
  message: string;
}

type Sink = Violation[];

export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** A string value as a message quotes it: a megabyte of it would be a megabyte-long line. */
function quoted(value: string): string {
  return value.length <= 80
    ? JSON.stringify(value)
    : `${JSON.stringify(value.slice(0, 60))}… (${value.length.toLocaleString('en-US')} characters)`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string')
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value;
}

/** What is wrong with a number under a schema's range and multipleOf (nothing: []). */
export function numberProblems(schema: JsonSchema, value: number): string[] {
  const problems: string[] = [];
  if (schema.format === 'int32' && (value < -2147483648 || value > 2147483647))
    problems.push(`${value} is out of int32 range`);
  if (schema.minimum !== undefined) {
    const exclusive = schema.exclusiveMinimum === true;
    if (exclusive ? value <= schema.minimum : value < schema.minimum) {
      problems.push(`${value} is less than the minimum ${exclusive ? '(exclusive) ' : ''}${schema.minimum}`);
    }
  }
  if (schema.maximum !== undefined) {
    const exclusive = schema.exclusiveMaximum === true;
    if (exclusive ? value >= schema.maximum : value > schema.maximum) {
      problems.push(
        `${value} is greater than the maximum ${exclusive ? '(exclusive) ' : ''}${schema.maximum}`,
      );
    }
  }
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const ratio = value / schema.multipleOf;
    if (Math.abs(ratio - Math.round(ratio)) > 1e-9)
      problems.push(`${value} is not a multiple of ${schema.multipleOf}`);
  }
  return problems;
}

function checkNumber(schema: JsonSchema, value: number, path: string, out: Sink): void {
  for (const message of numberProblems(schema, value)) out.push({ severity: 'error', path, message });
}

/** What is wrong with a string under a schema's length, pattern and format (nothing: []). */
export function stringProblems(schema: JsonSchema, value: string): string[] {
  const problems: string[] = [];
  const length = [...value].length;
  if (schema.minLength !== undefined && length < schema.minLength) {
    problems.push(`string is shorter than minLength ${schema.minLength}`);
  }
  if (schema.maxLength !== undefined && length > schema.maxLength)
    problems.push(`string is longer than maxLength ${schema.maxLength}`);
  if (schema.pattern !== undefined) {
    const pattern = compilePattern(schema.pattern);
    // a pattern that does not compile was refused with its CRD
    if (!(pattern instanceof SyntaxError) && !pattern.matcher.test(value))
      problems.push(`${quoted(value)} does not match pattern ${schema.pattern}`);
  }
  if (schema.format !== undefined && !checkStringFormat(schema.format, value)) {
    problems.push(`${quoted(value)} is not a valid ${schema.format}`);
  }
  return problems;
}

function checkString(schema: JsonSchema, value: string, path: string, out: Sink): void {
  for (const message of stringProblems(schema, value)) out.push({ severity: 'error', path, message });
}

function checkArray(schema: JsonSchema, value: unknown[], path: string, out: Sink): void {
  const err = (message: string) => out.push({ severity: 'error', path, message });
  if (schema.minItems !== undefined && value.length < schema.minItems)
    err(`needs at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    err(`allows at most ${schema.maxItems} items`);
  const items = schema.items;
  if (items) {
    value.forEach((item, index) => {
      validateValue(items, item, `${path}[${index}]`, out);
    });
  }
  const listType = schema['x-kubernetes-list-type'];
  const mapKeys = schema['x-kubernetes-list-map-keys'];
  if (
    schema.uniqueItems === true ||
    listType === 'set' ||
    (listType === 'map' && mapKeys && mapKeys.length > 0)
  ) {
    const seen = new Map<string, number>();
    value.forEach((item, index) => {
      const key =
        listType === 'map' && mapKeys && isPlainObject(item)
          ? canonical(mapKeys.map((name) => item[name]))
          : canonical(item);
      const previous = seen.get(key);
      if (previous !== undefined) {
        err(
          `items [${previous}] and [${index}] are duplicates${listType === 'map' ? ` (map keys ${mapKeys?.join(', ')})` : ''}`,
        );
      } else {
        seen.set(key, index);
      }
    });
  }
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  out: Sink,
  root: boolean,
): void {
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    if (value[name] === undefined)
      out.push({ severity: 'error', path: `${path}.${name}`, message: 'required field is missing' });
  }
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    out.push({
      severity: 'error',
      path: path || '.',
      message: `needs at least ${schema.minProperties} properties`,
    });
  }
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    out.push({
      severity: 'error',
      path: path || '.',
      message: `allows at most ${schema.maxProperties} properties`,
    });
  }
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const additional = schema.additionalProperties;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    const childSchema = properties[key];
    if (childSchema) {
      if (root && key === 'metadata') continue; // checked by validateMetadata
      validateValue(childSchema, child, childPath, out);
    } else if (isPlainObject(additional)) {
      validateValue(additional, child, childPath, out);
    } else if (additional === true || preserve) {
      // kept as is by the API server
    } else if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
      // always allowed at the root
    } else {
      out.push({
        severity: 'warning',
        path: childPath,
        message: 'unknown field: the API server prunes it silently',
      });
    }
  }
}

function typeMatches(type: string | undefined, schema: JsonSchema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) {
    return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  }
  switch (type) {
    case undefined:
      return true;
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

/** Append every violation of `schema` by `value` at `path` to `out`. */
export function validateValue(
  schema: JsonSchema,
  value: unknown,
  path: string,
  out: Sink,
  root = false,
): void {
  if (value === null) {
    if (schema.nullable !== true && schema.type !== undefined) {
      out.push({
        severity: 'error',
        path: path || '.',
        message: `must not be null (expected ${schema.type})`,
      });
    }
    return;
  }
  if (!typeMatches(schema.type, schema, value)) {
    const expected = schema['x-kubernetes-int-or-string'] ? 'integer or string' : schema.type;
    out.push({
      severity: 'error',
      path: path || '.',
      message: `expected ${expected}, got ${describe(value)}`,
    });
    return;
  }
  if (schema.enum && schema.enum.length > 0) {
    const key = canonical(value);
    if (!schema.enum.some((option) => canonical(option) === key)) {
      const shown = [...new Set(schema.enum.map((option) => JSON.stringify(option)))].join(', ');
      out.push({
        severity: 'error',
        path: path || '.',
        message: `${JSON.stringify(value)} is not one of ${shown}`,
      });
    }
  }
  if (typeof value === 'number') checkNumber(schema, value, path || '.', out);
  else if (typeof value === 'string') checkString(schema, value, path || '.', out);
  else if (Array.isArray(value)) checkArray(schema, value, path, out);
  else if (
    isPlainObject(value) &&
    (schema.type === 'object' || schema.properties || schema.additionalProperties)
  ) {
    checkObject(schema, value, path, out, root);
  }
  checkCombinators(schema, value, path, out);
  checkRules(schema, value, path, out);
}

function checkRules(schema: JsonSchema, value: unknown, path: string, out: Sink): void {
  for (const rule of celRules(schema)) {
    const verdict = evaluateRule(rule, schema, value);
    if (verdict === 'fail') {
      out.push({
        severity: 'error',
        path: path || '.',
        message: `${rule.message ?? 'failed rule'} (x-kubernetes-validations: ${rule.rule})`,
      });
    } else if (verdict === 'unsupported') {
      out.push({
        severity: 'warning',
        path: path || '.',
        message: `rule ${rule.rule} cannot be evaluated here; the API server decides`,
      });
    }
  }
}

function checkCombinators(schema: JsonSchema, value: unknown, path: string, out: Sink): void {
  const errorsOf = (branch: JsonSchema) => {
    const sink: Sink = [];
    validateValue(branch, value, path, sink);
    return sink.filter((violation) => violation.severity === 'error');
  };
  for (const branch of schema.allOf ?? []) out.push(...errorsOf(branch));
  if (
    schema.anyOf &&
    schema.anyOf.length > 0 &&
    !schema.anyOf.some((branch) => errorsOf(branch).length === 0)
  ) {
    out.push({ severity: 'error', path: path || '.', message: 'matches none of the anyOf alternatives' });
  }
  if (schema.oneOf && schema.oneOf.length > 0) {
    const matching = schema.oneOf.filter((branch) => errorsOf(branch).length === 0).length;
    if (matching !== 1) {
      out.push({
        severity: 'error',
        path: path || '.',
        message: `matches ${matching} of the oneOf alternatives (exactly 1 required)`,
      });
    }
  }
  if (schema.not && errorsOf(schema.not).length === 0) {
    out.push({ severity: 'error', path: path || '.', message: 'matches a schema it must not (not)' });
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key prefix "${prefix}" must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key "${key}" must be 1-63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`;
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `label value "${value}" must be at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric`;
  }
  return undefined;
}

/** Object metadata as the API server checks it for custom resources. */
export function validateMetadata(
  object: Record<string, unknown>,
  scope: 'Namespaced' | 'Cluster',
  out: Sink,
): void {
  const metadata = isPlainObject(object.metadata) ? object.metadata : undefined;
  if (!metadata) {
    out.push({ severity: 'error', path: '.metadata', message: 'metadata is missing' });
    return;
  }
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    out.push({ severity: 'error', path: '.metadata.name', message: 'name is missing' });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    out.push({
      severity: 'error',
      path: '.metadata.name',
      message: `"${name}" is not a valid name (lowercase DNS subdomain, at most 253 characters)`,
    });
  }
  const namespace = metadata.namespace;
  if (scope === 'Namespaced') {
    if (typeof namespace !== 'string' || namespace === '') {
      out.push({
        severity: 'error',
        path: '.metadata.namespace',
        message: 'a namespaced kind needs a namespace',
      });
    } else if (!isDnsLabel(namespace)) {
      out.push({
        severity: 'error',
        path: '.metadata.namespace',
        message: `"${namespace}" is not a valid namespace name`,
      });
    }
  } else if (namespace !== undefined) {
    out.push({
      severity: 'error',
      path: '.metadata.namespace',
      message: 'a cluster-scoped kind has no namespace',
    });
  }
  const labels = isPlainObject(metadata.labels) ? metadata.labels : {};
  for (const [key, value] of Object.entries(labels)) {
    const problem =
      labelKeyProblem(key) ??
      (typeof value === 'string' ? labelValueProblem(value) : 'label values are strings');
    if (problem) out.push({ severity: 'error', path: `.metadata.labels.${key}`, message: problem });
  }
}

/** Validate a whole object: its size, metadata, then the schema from the root (apiVersion/kind/metadata allowed). */
export function validateObject(
  object: Record<string, unknown>,
  schema: JsonSchema | undefined,
  scope: 'Namespaced' | 'Cluster',
): Violation[] {
  const out: Violation[] = [];
  // a schema comes from a CRD; without one, the group says whether the kind is built in
  const customResource = schema !== undefined || isCustomResource(String(object.apiVersion ?? ''));
  const tooLarge = storedSizeProblem(object, customResource);
  if (tooLarge) out.push({ severity: 'error', path: '', message: tooLarge });
  for (const problem of fieldSizeProblems(object)) out.push({ severity: 'error', ...problem });
  validateMetadata(object, scope, out);
  if (schema) validateValue(schema, object, '', out, true);
  return out;
}
