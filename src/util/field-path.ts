import { isPlainObject } from './plain-object.js';

/** A parsed field path: `.status.phase`, `{.status.phase}`, `.status.conditions[0].type`. */
export type FieldPath = Array<string | number>;

const SEGMENT = /^(?:\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']+)'\]|\["([^"]+)"\])/;

export function parseFieldPath(text: string): FieldPath {
  let rest = text.trim();
  if (rest.startsWith('{') && rest.endsWith('}')) rest = rest.slice(1, -1).trim();
  if (!rest.startsWith('.') && !rest.startsWith('[')) rest = `.${rest}`;
  const path: FieldPath = [];
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) throw new Error(`cannot read "${rest}" in field path "${text}" (use .a.b[0].c)`);
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
    else path.push((match[3] ?? match[4]) as string);
    rest = rest.slice(match[0].length);
  }
  if (path.length === 0) throw new Error(`empty field path "${text}"`);
  return path;
}

export function valueAt(object: unknown, path: FieldPath): unknown {
  let current: unknown = object;
  for (const segment of path) {
    if (typeof segment === 'number') current = Array.isArray(current) ? current[segment] : undefined;
    else current = isPlainObject(current) ? current[segment] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}
