import type { Command } from 'commander';
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
    runner.exitCode = (await handler(ctx, ...args)) ?? 0;
  };
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}
