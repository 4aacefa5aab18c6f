import type { z } from 'zod';
import { inputError, type VitictlError } from '../errors.js';
import type { YamlSource } from './yaml-source.js';

/** ".spec.objects[0].count" from a zod path. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`;
  }
  return out || '.';
}

function describeIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string; atKey?: boolean } {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      return { path: [...path, key], message: `unknown field "${key}"`, atKey: true };
    }
    case 'invalid_type':
      return {
        path,
        // a field left out: say it is required (zod says "expected number, received undefined")
        message: /received undefined$/.test(issue.message)
          ? `required (${issue.expected}), missing`
          : issue.message.startsWith('Invalid input: expected')
            ? issue.message.replace('Invalid input: ', '')
            : issue.message,
      };
    default:
      return { path, message: issue.message };
  }
}

/**
 * Turn a zod failure on a YAML file into one VitictlError pointing at file:line:column of the first
 * problem; the count of further problems goes into the hint.
 */
export function zodToInputError(
  error: z.ZodError,
  source: YamlSource,
  what: string,
  hint: string,
): VitictlError {
  const first = error.issues[0];
  if (!first) return inputError(`invalid ${what}`, { location: { file: source.file } });
  const { path, message, atKey } = describeIssue(first);
  const more = error.issues.length - 1;
  return inputError(`invalid ${what} at ${formatPath(path)}: ${message}`, {
    location: source.locate(path, atKey ? 'key' : 'value'),
    hint: more > 0 ? `${hint} (${more} more problem${more === 1 ? '' : 's'} after this one)` : hint,
  });
}
