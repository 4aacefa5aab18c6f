import type { Writable } from 'node:stream';

/** The process's streams and environment, injectable so tests can run the CLI in-process. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Graceful Ctrl-C for long-running commands: the first SIGINT aborts the returned signal (the
   * command stops, cleans up, reports, exits 130); a second one exits at once. Commands that never ask
   * keep Node's default (exit on the first Ctrl-C).
   */
  interrupt(onSecond: () => void): AbortSignal;
}

export function processIo(): Io {
  // `vitictl … | head`: the reader left; stop quietly as Unix tools do, not with an internal error
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  let controller: AbortController | undefined;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interrupt(onSecond) {
      if (controller) return controller.signal;
      const own = new AbortController();
      controller = own;
      process.on('SIGINT', () => {
        if (!own.signal.aborted) {
          own.abort();
          return;
        }
        onSecond();
        process.exit(130);
      });
      return own.signal;
    },
  };
}
