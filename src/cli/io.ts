import { setMaxListeners } from 'node:events';
import { writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { onTempFiles, removeTempFilesNow } from '../util/atomic-write.js';

/** The signals that stop vitictl gracefully: Ctrl-C, and what Kubernetes and CI cancellation send. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The shell's convention: 128 + the signal's number. */
const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** A terminal's width, when it is one, sets where help text wraps. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

/** The process's streams and environment, injectable so tests can run the CLI in-process. */
export interface Io {
  /** what `-` reads, where a command takes a file */
  stdin: Readable;
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Graceful stop for long-running commands: the first SIGINT or SIGTERM aborts the returned signal
   * (its reason is the signal's name; the command stops, cleans up, reports, exits 130 or 143); a second
   * one exits at once. Commands that never ask are ended by the signal itself (the shell's 130/143),
   * busy or not; once one has written a file, a signal first removes its temp files.
   */
  interrupt(onSecond: () => void): AbortSignal;
}

/** What ends the process at once after `signal`'s first stop: the same signal again. */
export function againToQuit(signal: AbortSignal): string {
  return `(${signal.reason === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'} again to quit at once)`;
}

/** The exit code for a run that `signal` interrupted: 143 for SIGTERM, 130 for Ctrl-C. */
export function interruptExitCode(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? SIGNAL_EXIT_CODES.SIGTERM : SIGNAL_EXIT_CODES.SIGINT;
}

export function processIo(): Io {
  let controller: AbortController | undefined;
  // `vitictl … | head`, `2>&1 | head`: the reader left. A command with nothing to clean up stops
  // quietly, as Unix tools do; one that created something goes on without its output and cleans up
  // (an uncaught EPIPE from a progress line ended apply at once, leaving every object it had made)
  const outputFailed = (stream: 'stdout' | 'stderr') => (error: NodeJS.ErrnoException) => {
    // a command that has ended keeps its exit code (the error it could not print is still an error)
    const ended = process.exitCode;
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      if (!controller) process.exit(ended ?? 0);
      return;
    }
    // a full disk, an I/O error: the output is lost, and the exit code must say so (it was an
    // uncaught exception's stack trace). A graceful command still goes on and cleans up.
    if (stream === 'stdout') {
      try {
        writeSync(2, `error: cannot write to stdout: ${error.message}\n`);
      } catch {
        // stderr is gone too: the exit code is all that is left
      }
    }
    if (!controller) process.exit(ended ? ended : 1);
    process.once('exit', () => {
      if (!process.exitCode) process.exitCode = 1;
    });
  };
  process.stdout.on('error', outputFailed('stdout'));
  process.stderr.on('error', outputFailed('stderr'));
  let onSecond: (() => void) | undefined;
  const stop = (name: StopSignal) => {
    if (controller && !controller.signal.aborted) {
      controller.abort(name);
      return;
    }
    onSecond?.();
    removeTempFilesNow();
    process.exit(SIGNAL_EXIT_CODES[name]);
  };
  // A handler runs only when the event loop is free: installed up front, it left a command busy for
  // minutes (one regular expression) deaf to Ctrl-C and SIGTERM. So the signals stay the system's
  // until a command asks to stop gracefully or a temp file needs removing.
  let taken = false;
  const takeSignals = () => {
    if (taken) return;
    taken = true;
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  };
  onTempFiles(takeSignals);
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    interrupt(second) {
      if (controller) return controller.signal;
      takeSignals();
      controller = new AbortController();
      // every request in flight listens for the interrupt: hundreds at once are expected, not a leak
      setMaxListeners(0, controller.signal);
      onSecond = second;
      return controller.signal;
    },
  };
}
