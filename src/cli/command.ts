import type { Command } from 'commander';
import { usageError, VitictlError } from '../errors.js';
import type { CliContext } from './context.js';
import type { Io } from './io.js';

/** A command handler: returns an exit code (0 when it returns nothing) or throws a VitictlError. */
export type Handler<Args extends unknown[]> = (ctx: CliContext, ...args: Args) => Promise<number | undefined>;

export interface Runner {
  io: Io;
  exitCode: number;
}

/**
 * Wire a handler into commander: build the context from the global flags, run, record the exit code.
 * Keeps every command file free of plumbing.
 */
export function bind<Args extends unknown[]>(runner: Runner, handler: Handler<Args>) {
  return async (...raw: unknown[]) => {
    const command = raw[raw.length - 1] as Command;
    const args = raw.slice(0, -1) as Args;
    // loaded here, not at start-up: it pulls in zod, which would double `vitictl --help` time
    const { makeContext } = await import('./context.js');
    const ctx = makeContext(runner.io, command.optsWithGlobals());
    try {
      runner.exitCode = (await handler(ctx, ...args)) ?? 0;
    } catch (error) {
      // a flag out of range says what is wrong; the hint says where the flags are described
      if (error instanceof VitictlError && error.kind === 'usage' && error.hint === undefined)
        throw usageError(error.message, helpHint(command));
      throw error;
    }
  };
}

/** `vitictl perf run`, as a user types it. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

export function helpHint(command: Command): string {
  return `\`${commandPath(command)} --help\` describes its arguments and flags, with examples`;
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
