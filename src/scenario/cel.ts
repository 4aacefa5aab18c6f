import { parse } from '@marcbachmann/cel-js';
import { isPlainObject } from '../util/plain-object.js';
import type { JsonSchema } from './json-schema.js';

/**
 * The CEL rules of a structural schema (x-kubernetes-validations), evaluated the way the API server
 * does on create: `self` is the value the rule sits on; rules on `oldSelf` (transition rules) do
 * not apply to a new object.
 */

export interface CelRule {
  rule: string;
  message?: string;
}

type Program = ReturnType<typeof parse>;

/** Parsed rules, kept for the process like compiled patterns: the CRDs read bound their count. */
const programs = new Map<string, Program | Error>();

function program(rule: string): Program | Error {
  let found = programs.get(rule);
  if (!found) {
    try {
      found = parse(rule);
    } catch (error) {
      found = error instanceof Error ? error : new Error(String(error));
    }
    programs.set(rule, found);
  }
  return found;
}

/** The rules of a schema node that apply on create. */
export function celRules(schema: JsonSchema): CelRule[] {
  const raw = schema['x-kubernetes-validations'];
  if (!Array.isArray(raw)) return [];
  const rules: CelRule[] = [];
  for (const entry of raw) {
    if (!isPlainObject(entry) || typeof entry.rule !== 'string') continue;
    if (/\boldSelf\b/.test(entry.rule)) continue;
    rules.push(
      typeof entry.message === 'string' ? { rule: entry.rule, message: entry.message } : { rule: entry.rule },
    );
  }
  return rules;
}

/** JSON as CEL sees it under a schema: integers are CEL ints (BigInt), other numbers doubles. */
function toCel(schema: JsonSchema | undefined, value: unknown): unknown {
  if (typeof value === 'number') {
    const integer =
      schema?.type === 'integer' ||
      (schema?.['x-kubernetes-int-or-string'] === true && Number.isInteger(value));
    return integer && Number.isSafeInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCel(schema?.items, item));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const childSchema =
        schema?.properties?.[key] ??
        (isPlainObject(schema?.additionalProperties)
          ? (schema?.additionalProperties as JsonSchema)
          : undefined);
      out[key] = toCel(childSchema, child);
    }
    return out;
  }
  return value;
}

export type CelVerdict = 'pass' | 'fail' | 'unsupported';

/** Errors that mean "a function the evaluator does not have" (Kubernetes' CEL libraries). */
const UNKNOWN_FUNCTION = /no matching overload|unknown function|not a function/i;

/**
 * Evaluate one rule against a value. 'unsupported': the rule uses what the evaluator does not know
 * (a Kubernetes CEL library function, say), so its verdict is the API server's alone. Any other
 * evaluation error fails the rule, as it does in the API server.
 */
export function evaluateRule(rule: CelRule, schema: JsonSchema, value: unknown): CelVerdict {
  const compiled = program(rule.rule);
  if (compiled instanceof Error) return 'unsupported';
  try {
    return compiled({ self: toCel(schema, value) }) === true ? 'pass' : 'fail';
  } catch (error) {
    return error instanceof Error && UNKNOWN_FUNCTION.test(error.message) ? 'unsupported' : 'fail';
  }
}
