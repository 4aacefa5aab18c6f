import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The calling thread's time on the OS run queue, runnable but not running, in ms since it started: the
 * second field of Linux's /proc/thread-self/schedstat. A start that leaves late while this grew was
 * late because the host's CPUs were busy, not because vitictl was. The file stays open and is re-read
 * at offset 0 (~2.5 µs a read, cheap enough for every start).
 */
export interface CpuWaitClock {
  /** ms waited so far */
  read(): number;
  close(): void;
}

/** A clock for the calling thread, or null where the kernel does not say (not Linux, no schedstat). */
export function openCpuWaitClock(path = '/proc/thread-self/schedstat'): CpuWaitClock | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  const buffer = Buffer.alloc(128);
  const parse = () => {
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return Number(buffer.toString('latin1', 0, length).split(' ')[1]) / 1e6;
  };
  let last: number;
  try {
    last = parse();
  } catch {
    last = Number.NaN;
  }
  if (!Number.isFinite(last)) {
    closeSync(fd);
    return null;
  }
  // a diagnostic never stops a run: a read that fails counts as no wait since the last one
  const read = () => {
    try {
      const value = parse();
      if (Number.isFinite(value)) last = value;
    } catch {}
    return last;
  };
  return { read, close: () => closeSync(fd) };
}
