import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { usageError } from '../errors.js';
import { isDnsLabel, isDnsSubdomain } from '../kube/names.js';
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

const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A decimal number flag of at least `min`, with the flag named in the error. */
export function numberFlag(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  // decimal only: Number() also reads 0x10, 0b11 and 0o7 (--peak-rate 0x10 was 16)
  if (!DECIMAL.test(value.trim()) || !Number.isFinite(number))
    throw usageError(`${flag} must be a number (got "${value}")`);
  if (number < min) throw usageError(`${flag} must be at least ${min} (got ${number})`);
  return number;
}

/** A size limit given in MiB (--max-profile-size 512), as bytes. */
export function mibFlag(flag: string, value: string | undefined): number | undefined {
  const mib = intFlag(flag, value, 1);
  return mib === undefined ? undefined : mib * 2 ** 20;
}

/** A file the command will read, checked before any work starts. */
export function existingFileFlag(flag: string, value: string | undefined, hint: string): string | undefined {
  if (value === undefined) return undefined;
  const stats = statSync(value, { throwIfNoEntry: false });
  if (!stats?.isFile()) throw usageError(`${flag}: no file ${JSON.stringify(value)}`, hint);
  return value;
}

/** A file the command will write at the end, checked before any work starts: its directory must take it. */
export function outputFileFlag(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (statSync(value, { throwIfNoEntry: false })?.isDirectory())
    throw usageError(`${flag}: ${JSON.stringify(value)} is a directory`, 'name a file to write');
  try {
    accessSync(dirname(value), constants.W_OK);
  } catch {
    throw usageError(
      `${flag}: cannot write into ${JSON.stringify(dirname(value))} (missing or not writable)`,
      'create the directory first, or name a file in one you can write',
    );
  }
  return value;
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

/** --max-regression 10% → 0.1 */
export function maxRegressionFlag(value: string | undefined): number {
  const fraction = value === undefined ? 0.1 : Number(value.replace(/%$/, '')) / 100;
  if (!Number.isFinite(fraction) || fraction < 0)
    throw usageError(`--max-regression must be a percentage like 10% (got "${value}")`);
  return fraction;
}

/** --shard i/N: the shards of one run share its run id (and so its object names and labels). */
export async function shardFromFlags(flags: { shard?: string | undefined; runId?: string | undefined }) {
  if (flags.shard === undefined) return undefined;
  const { parseShard } = await import('../scenario/shard.js');
  const shard = parseShard(flags.shard);
  if (flags.runId === undefined && shard.count > 1) {
    throw usageError(
      '--shard needs --run-id: the shards of one run share its run id',
      `give every shard the same id, e.g. --run-id big-1 --shard ${shard.index}/${shard.count}`,
    );
  }
  return shard;
}

/**
 * The ConfigMap `--name` and its namespace (-n), checked as the API server checks them: before a
 * run is read or a cluster asked, not in the API server's refusal at the end.
 */
export function configMapFlags(name: string, namespace: string): { name: string; namespace: string } {
  if (!isDnsSubdomain(name))
    throw usageError(
      `invalid --name ${JSON.stringify(name)}: a ConfigMap name is lowercase letters, digits, "-" and "." (at most 253)`,
    );
  if (!isDnsLabel(namespace))
    throw usageError(
      `invalid -n ${JSON.stringify(namespace)}: a namespace is lowercase letters, digits and "-" (at most 63)`,
    );
  return { name, namespace };
}
