import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComponentState } from './state.js';

/** Start a long-lived component detached from vitictl, output appended to its log file. */
export function startDetached(
  binary: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): ComponentState {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    return { pid: child.pid, binary, args, log };
  } finally {
    closeSync(fd);
  }
}

/**
 * For a child started with `detached: true` (a process group of its own): an abort stops the whole
 * group. A build script's `go build`, and go's compile and link, outlive a signal to the first
 * process alone. Returns the function that stops listening.
 */
export function stopGroupOnAbort(pid: number | undefined, signal: AbortSignal | undefined): () => void {
  if (pid === undefined || !signal) return () => undefined;
  const stop = () => {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // the group has already gone
    }
  };
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  return () => signal.removeEventListener('abort', stop);
}

/** Alive and still the same executable (a recycled PID is not ours). */
export function isRunning(component: ComponentState): boolean {
  try {
    process.kill(component.pid, 0);
  } catch {
    return false;
  }
  try {
    const exe = readlinkSync(`/proc/${component.pid}/exe`).replace(/ \(deleted\)$/, '');
    return exe === component.binary;
  } catch {
    return existsSync(`/proc/${component.pid}`);
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Returns how it ended. */
export async function stopComponent(
  component: ComponentState,
  graceMs = 10_000,
): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isRunning(component)) return 'not running';
  process.kill(component.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(component)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(component.pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  return 'killed';
}

export function tailOf(log: string, lines = 15): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
