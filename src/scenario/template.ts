import { inputError, type SourceLocation } from '../errors.js';

/**
 * A tiny, strict template language for scenario values: `{{ name }}` or `{{ name | filter arg }}`.
 * A string that is exactly one placeholder keeps the variable's type (`sizeGB: "{{disk}}"` yields a
 * number); anything else renders to a string. Templates are compiled once per object set and rendered
 * per object, which is what keeps generation fast.
 */

export type Vars = Readonly<Record<string, unknown>>;
export type Render = (vars: Vars) => unknown;
export type Locate = (path: ReadonlyArray<PropertyKey>) => SourceLocation;

type Filter = (value: unknown) => unknown;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function integerArg(name: string, arg: string | undefined, fail: (message: string) => never): number {
  const value = Number(arg);
  if (arg === undefined || !Number.isInteger(value)) fail(`filter "${name}" needs an integer argument`);
  return value;
}

function makeFilter(spec: string, fail: (message: string) => never): Filter {
  const [name, arg, extra] = spec.trim().split(/\s+/);
  if (extra !== undefined) fail(`filter "${spec.trim()}" has too many arguments`);
  switch (name) {
    case 'pad': {
      const width = integerArg('pad', arg, fail);
      if (width < 1 || width > 64) fail('filter "pad" width must be 1..64');
      return (value) => toText(value).padStart(width, '0');
    }
    case 'add': {
      const amount = integerArg('add', arg, fail);
      return (value) => {
        if (typeof value !== 'number') fail('filter "add" applies to numbers only');
        return value + amount;
      };
    }
    case 'lower':
      return (value) => toText(value).toLowerCase();
    case 'upper':
      return (value) => toText(value).toUpperCase();
    default:
      return fail(`unknown filter "${name ?? ''}" (known: pad N, add N, lower, upper)`);
  }
}

interface Placeholder {
  variable: string;
  filters: Filter[];
}

function compileExpression(expression: string, known: ReadonlySet<string>, fail: (message: string) => never) {
  const [head, ...filterSpecs] = expression.split('|');
  const variable = (head ?? '').trim();
  if (variable === '') fail('empty placeholder {{}}');
  if (!IDENT.test(variable)) fail(`"${variable}" is not a variable name`);
  if (!known.has(variable)) {
    fail(`undefined template variable "${variable}" (defined: ${[...known].sort().join(', ')})`);
  }
  const placeholder: Placeholder = { variable, filters: filterSpecs.map((spec) => makeFilter(spec, fail)) };
  return placeholder;
}

function evaluate(placeholder: Placeholder, vars: Vars): unknown {
  let value = vars[placeholder.variable];
  for (const filter of placeholder.filters) value = filter(value);
  return value;
}

/** Compile one string; returns a constant for strings without placeholders. */
export function compileString(
  text: string,
  known: ReadonlySet<string>,
  fail: (message: string) => never,
): Render {
  if (!text.includes('{{')) return () => text;
  const parts: Array<string | Placeholder> = [];
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf('{{', cursor);
    if (open === -1) {
      parts.push(text.slice(cursor));
      break;
    }
    const close = text.indexOf('}}', open + 2);
    if (close === -1) fail(`unclosed "{{" in "${text}"`);
    if (open > cursor) parts.push(text.slice(cursor, open));
    parts.push(compileExpression(text.slice(open + 2, close), known, fail));
    cursor = close + 2;
  }
  const [only] = parts;
  if (parts.length === 1 && typeof only === 'object') return (vars) => evaluate(only, vars);
  return (vars) => {
    let out = '';
    for (const part of parts) out += typeof part === 'string' ? part : toText(evaluate(part, vars));
    return out;
  };
}

function hasPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(hasPlaceholder);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, child]) => key.includes('{{') || hasPlaceholder(child));
  }
  return false;
}

/**
 * Compile a JSON-like value tree. Subtrees without placeholders are returned as shared constants:
 * rendered objects must be treated as read-only.
 */
export function compileValue(
  value: unknown,
  known: ReadonlySet<string>,
  locate: Locate,
  path: ReadonlyArray<PropertyKey> = [],
): Render {
  if (!hasPlaceholder(value)) return () => value;
  const failAt =
    (at: ReadonlyArray<PropertyKey>) =>
    (message: string): never => {
      throw inputError(message, {
        location: locate(at),
        hint: 'placeholders look like {{index}} or {{index | pad 5}}',
      });
    };
  if (typeof value === 'string') return compileString(value, known, failAt(path));
  if (Array.isArray(value)) {
    const items = value.map((item, index) => compileValue(item, known, locate, [...path, index]));
    return (vars) => items.map((render) => render(vars));
  }
  const entries = Object.entries(value as Record<string, unknown>).map(([key, child]) => {
    if (key.includes('{{')) failAt([...path, key])(`placeholders are not allowed in keys ("${key}")`);
    return [key, compileValue(child, known, locate, [...path, key])] as const;
  });
  return (vars) => {
    const out: Record<string, unknown> = {};
    for (const [key, render] of entries) out[key] = render(vars);
    return out;
  };
}
