import { join } from 'node:path';
import { usageError, VitictlError } from '../errors.js';
import { makeStyle } from '../render/style.js';
import { hasOption, optionValue, splitZoneArgs, withOption } from '../viti/argv.js';
import type { Zone } from '../viti/zones.js';
import type { Io } from './io.js';
import { main, printError } from './main.js';
import { colorWanted } from './style.js';

/**
 * `viti-perf`: vitictl as a plugin of VitiStack's CLI. `viti perf ARGS` runs `viti-perf ARGS`, which is
 * `vitictl ARGS` (with `perf` in front of perf's own subcommands: `viti perf run smoke`), on the
 * cluster of the availability zone chosen with -z/--az or $VITI_AVAILABILITYZONE.
 */

const PERF_SUBCOMMANDS = new Set(['run', 'job', 'collect']);
const GLOBALS_WITH_VALUES = new Set(['--kubeconfig', '--context', '-n', '--namespace', '-o', '--output']);

/** vitictl's arguments for `viti perf ARGS`. */
export function vitictlArgs(args: string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') break;
    if (GLOBALS_WITH_VALUES.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return PERF_SUBCOMMANDS.has(arg) ? [...args.slice(0, i), 'perf', ...args.slice(i)] : args;
  }
  return ['perf', ...args];
}

/** The zone's kubeconfig and context in front; --kubeconfig and --context given by the user win. */
export function onZone(args: string[], zone: Zone): string[] {
  const prefix: string[] = [];
  if (zone.kubeconfig !== undefined && !hasOption(args, '--kubeconfig'))
    prefix.push('--kubeconfig', zone.kubeconfig);
  if (zone.context !== undefined && !hasOption(args, '--context')) prefix.push('--context', zone.context);
  return [...prefix, ...args];
}

/** The worst of several exit codes: an error, then bad input, then a failed gate. */
export function worstExitCode(codes: number[]): number {
  for (const code of [1, 2, 3]) if (codes.includes(code)) return code;
  return codes.find((code) => code !== 0) ?? 0;
}

async function allZones(args: string[], io: Io): Promise<number> {
  const subcommand = args.filter((arg) => !arg.startsWith('-')).slice(0, 2);
  if (subcommand[0] !== 'perf' || subcommand[1] !== 'run')
    throw usageError('--all-zones runs a profile on every zone: viti perf run PROFILE --all-zones');
  if (hasOption(args, '--kubeconfig') || hasOption(args, '--context'))
    throw usageError('--all-zones takes each zone’s kubeconfig and context; drop --kubeconfig and --context');
  const { loadVitiConfig } = await import('../viti/zones.js');
  const config = await loadVitiConfig(io.env);
  if (config.zones.length === 0)
    throw usageError(`no availability zones in ${config.file}`, 'viti lists its zones there');
  const base = optionValue(args, '--out-dir') ?? 'vitictl-report';
  const quiet = hasOption(args, '-q') || hasOption(args, '--quiet');
  const runs: Array<{ zone: string; exitCode: number; outDir: string }> = [];
  for (const zone of config.zones) {
    const outDir = join(base, zone.name);
    if (!quiet) io.stderr.write(`== availability zone ${zone.name} ==\n`);
    const exitCode = await main(onZone(withOption(args, '--out-dir', outDir), zone), io);
    runs.push({ zone: zone.name, exitCode, outDir });
    if (exitCode === 130 || exitCode === 143) return exitCode;
  }
  const { compareZones } = await import('../viti/compare-zones.js');
  const comparison = await compareZones(runs);
  const json = optionValue(args, '-o') === 'json' || optionValue(args, '--output') === 'json';
  if (json) io.stdout.write(`${JSON.stringify({ zones: comparison }, null, 2)}\n`);
  else {
    const { renderZoneComparison } = await import('../render/zones-view.js');
    const color = colorWanted(!hasOption(args, '--no-color'), io.env, io.stdout.isTTY);
    io.stdout.write(renderZoneComparison(comparison, makeStyle(color)));
  }
  return worstExitCode(runs.map((run) => run.exitCode));
}

/** Run viti-perf; returns the exit code. */
export async function vitiMain(argv: string[], io: Io): Promise<number> {
  try {
    const { zone, allZones: everyZone, rest } = splitZoneArgs(argv);
    const args = vitictlArgs(rest);
    if (everyZone) {
      if (zone !== undefined) throw usageError('--all-zones and -z/--az exclude each other');
      return await allZones(args, io);
    }
    const name = zone ?? (io.env.VITI_AVAILABILITYZONE || undefined);
    if (name === undefined) return await main(args, io);
    const { findZone, loadVitiConfig } = await import('../viti/zones.js');
    return await main(onZone(args, findZone(await loadVitiConfig(io.env), name)), io);
  } catch (error) {
    const color = colorWanted(!argv.includes('--no-color'), io.env, io.stderr.isTTY);
    const verbose = argv.includes('--verbose') || argv.includes('-v');
    const typed =
      error instanceof VitictlError
        ? error
        : new VitictlError(
            'runtime',
            `internal error: ${error instanceof Error ? error.message : String(error)}`,
            {
              hint: 'run again with --verbose for the stack trace, and report it',
            },
          );
    printError(typed, io, verbose, color);
    return typed.exitCode;
  }
}
