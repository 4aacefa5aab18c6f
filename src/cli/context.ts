import { z } from 'zod';
import { makeStyle, type Style } from '../render/style.js';
import { escapeControl } from '../util/escape-control.js';
import type { Io } from './io.js';
import { colorWanted } from './style.js';

/** Flags every command accepts, kubectl-style. */
const globalOptionsSchema = z.object({
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  namespace: z.string().optional(),
  output: z.string().optional(),
  quiet: z.boolean().default(false),
  verbose: z.boolean().default(false),
  color: z.boolean().default(true),
});
export type GlobalOptions = z.infer<typeof globalOptionsSchema>;

export type { Io } from './io.js';

export interface CliContext {
  io: Io;
  globals: GlobalOptions;
  /** styling for stdout */
  style: Style;
  /** styling for stderr (progress, warnings, errors) */
  errStyle: Style;
  /** progress may be animated: stderr is a TTY, not CI, not --quiet */
  interactive: boolean;
  warn(message: string): void;
  info(message: string): void;
}

export function makeContext(io: Io, rawGlobals: Record<string, unknown>): CliContext {
  const globals = globalOptionsSchema.parse(rawGlobals);
  const errStyle = makeStyle(colorWanted(globals.color, io.env, io.stderr.isTTY));
  const interactive = io.stderr.isTTY === true && !globals.quiet && io.env.CI !== 'true' && io.env.CI !== '1';
  return {
    io,
    globals,
    style: makeStyle(colorWanted(globals.color, io.env, io.stdout.isTTY)),
    errStyle,
    interactive,
    warn: (message) => {
      io.stderr.write(`${errStyle.yellow('warning:')} ${escapeControl(message)}\n`);
    },
    info: (message) => {
      if (!globals.quiet) io.stderr.write(`${message}\n`);
    },
  };
}
