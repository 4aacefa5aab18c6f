import { usageError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { CliContext } from './context.js';

/** Integer flag values, with the flag named in the error (commander hands us strings). */
export function intFlag(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number)) {
    throw usageError(`${flag} must be an integer (got "${value}")`);
  }
  if (number < min) throw usageError(`${flag} must be at least ${min} (got ${number})`);
  return number;
}

export function numberFlag(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number))
    throw usageError(`${flag} must be a number (got "${value}")`);
  if (number < min) throw usageError(`${flag} must be at least ${min} (got ${number})`);
  return number;
}

export function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw usageError(`${flag} must be a duration like 500ms, 30s, 5m (got "${value}")`);
  return ms;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The -o value a command allows, with its default. */
export function outputFormat<T extends string>(ctx: CliContext, allowed: readonly T[], fallback: T): T {
  const value = ctx.globals.output ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw usageError(`-o ${value} is not supported by this command`, `use one of: ${allowed.join(', ')}`);
  }
  return value as T;
}
