import { isPlainObject } from '../util/plain-object.js';
import { compilePattern } from './regex.js';

/**
 * What makes an openAPIV3Schema unusable as a structural schema for us and the API server alike: a
 * type that is not one of OpenAPI's, a pattern that is not a regular expression, a malformed node.
 */

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const CHILD_MAPS = ['properties', 'patternProperties', 'definitions'] as const;
const CHILD_LISTS = ['allOf', 'anyOf', 'oneOf'] as const;
const CHILD_NODES = ['items', 'additionalProperties', 'not'] as const;

export interface SchemaProblem {
  /** path of the offending node below the schema root, for file positions */
  path: PropertyKey[];
  message: string;
}

function nodeProblem(node: Record<string, unknown>): { key: string; message: string } | undefined {
  const type = node.type;
  if (type !== undefined && (typeof type !== 'string' || !TYPES.has(type))) {
    return {
      key: 'type',
      message: `unknown type ${JSON.stringify(type)} (OpenAPI types: ${[...TYPES].join(', ')})`,
    };
  }
  const pattern = node.pattern;
  if (pattern !== undefined) {
    if (typeof pattern !== 'string') return { key: 'pattern', message: 'pattern must be a string' };
    const compiled = compilePattern(pattern);
    if (compiled instanceof SyntaxError) {
      return {
        key: 'pattern',
        message: `pattern is not a regular expression (${compiled.message}): ${pattern}`,
      };
    }
  }
  return undefined;
}

/** The first problem of a schema, walked without recursion (nesting depth is the input's). */
export function schemaProblem(schema: unknown): SchemaProblem | undefined {
  const stack: Array<{ node: unknown; path: PropertyKey[] }> = [{ node: schema, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: PropertyKey[] };
    if (!isPlainObject(node)) return { path, message: 'a schema must be an object' };
    const problem = nodeProblem(node);
    if (problem) return { path: [...path, problem.key], message: problem.message };
    for (const key of CHILD_MAPS) {
      const children = node[key];
      if (children === undefined) continue;
      if (!isPlainObject(children))
        return { path: [...path, key], message: `${key} must be a map of schemas` };
      for (const [name, child] of Object.entries(children))
        stack.push({ node: child, path: [...path, key, name] });
    }
    for (const key of CHILD_LISTS) {
      const children = node[key];
      if (children === undefined) continue;
      if (!Array.isArray(children))
        return { path: [...path, key], message: `${key} must be a list of schemas` };
      children.forEach((child, index) => {
        stack.push({ node: child, path: [...path, key, index] });
      });
    }
    for (const key of CHILD_NODES) {
      const child = node[key];
      if (child === undefined || typeof child === 'boolean') continue;
      stack.push({ node: child, path: [...path, key] });
    }
  }
  return undefined;
}
