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
