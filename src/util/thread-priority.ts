import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value of a background thread: the OS runs it when the load's thread leaves the core free. */
export const BACKGROUND_NICE = 19;

/**
 * Lower the calling worker thread to BACKGROUND_NICE. On Linux a thread has a nice value of its own
 * under its thread id, and lowering it needs no privilege. Returns the thread's nice value after, or
 * null where the thread has no id of its own: there setpriority would lower the whole process, the
 * load's thread with it.
 */
export function lowerThisThread(threadSelf = '/proc/thread-self'): number | null {
  let tid: number;
  try {
    tid = Number(readlinkSync(threadSelf).split('/').pop());
  } catch {
    return null;
  }
  if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return null;
  try {
    setPriority(tid, BACKGROUND_NICE);
    return getPriority(tid);
  } catch {
    return null;
  }
}
