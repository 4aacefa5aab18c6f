import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { root } from '../lib.js';

/** Child processes for the apply bench: always bounded by a timeout, output kept for errors. */

export interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  input?: string;
  /** write stdout to this file instead of keeping it in memory */
  stdoutFile?: string;
  /** on timeout: SIGINT lets vitictl stop creating and clean up */
  killSignal?: NodeJS.Signals;
}

export function run(command: string, args: string[], options: RunOptions): Ran {
  const out = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'pipe';
  const start = process.hrtime.bigint();
  try {
    const result = spawnSync(command, args, {
      cwd: root,
      env: options.env,
      input: options.input,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', out, 'pipe'],
      timeout: options.timeoutMs,
      killSignal: options.killSignal ?? 'SIGTERM',
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.error && (result.error as { code?: string }).code !== 'ETIMEDOUT') throw result.error;
    return {
      status: result.status,
      signal: result.signal,
      stdout: options.stdoutFile ? '' : (result.stdout ?? ''),
      stderr: result.stderr ?? '',
      ms,
    };
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

/** Like run, but any non-zero exit (or a timeout) is an error. */
export function must(command: string, args: string[], options: RunOptions): Ran {
  const ran = run(command, args, options);
  if (ran.status !== 0) {
    const stdout = options.stdoutFile ? readFileSync(options.stdoutFile, 'utf8') : ran.stdout;
    throw new Error(
      `${command} ${args.join(' ')} exited ${ran.status ?? ran.signal} after ${Math.round(ran.ms)} ms:\n${ran.stderr.slice(-3000)}\n${stdout.slice(-1000)}`,
    );
  }
  return ran;
}

export interface GroupRan {
  status: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
}

export interface Group {
  pid: number;
  /** send a signal to the whole process group (the wrapper and what it runs) */
  signal(signal: NodeJS.Signals): void;
  done: Promise<GroupRan>;
}

/**
 * Start a command in its own process group, for wrappers like /usr/bin/time that ignore SIGINT: the
 * caller decides when to signal the group (vitictl takes SIGINT as "stop creating, clean up").
 * stdout and stderr go to files.
 */
export function startGroup(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdoutFile: string; stderrFile: string },
): Group {
  const out = openSync(options.stdoutFile, 'w');
  const err = openSync(options.stderrFile, 'w');
  const start = process.hrtime.bigint();
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command, args, {
      cwd: root,
      env: options.env,
      detached: true,
      stdio: ['ignore', out, err],
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const done = new Promise<GroupRan>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status, signal) =>
      resolve({
        status,
        signal,
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        stderr: readFileSync(options.stderrFile, 'utf8').slice(-5000),
      }),
    );
  });
  let exited = false;
  void done.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  return {
    pid,
    signal(signal) {
      if (exited) return;
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    },
    done,
  };
}

/** The first child of a process (the command a wrapper runs), from /proc. */
export function childOf(pid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    const first = Number(children[0]);
    return Number.isInteger(first) && first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Peak and current RSS (KiB) and user/system CPU seconds of a live process, from /proc. */
export function procUsage(
  pid: number,
): { peakRssKiB: number; rssKiB: number; userSeconds: number; systemSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ", utime and stime are fields 14 and 15 of stat: indices 11 and 12 here
    const ticks = 100; // USER_HZ on Linux
    return {
      peakRssKiB: field('VmHWM'),
      rssKiB: field('VmRSS'),
      userSeconds: Number(fields[11]) / ticks,
      systemSeconds: Number(fields[12]) / ticks,
    };
  } catch {
    return undefined;
  }
}
