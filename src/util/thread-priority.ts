import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value of a background thread: the OS runs it when the load's thread leaves the core free. */
export const BACKGROUND_NICE = 19;

/**
 * Lower the calling worker thread to BACKGROUND_NICE. On Linux a thread has a nice value of its own
 * under its thread id, and lowering it needs no privilege. Where the thread has no id of its own it
 * is left as it is: there setpriority would lower the whole process, the load's thread with it.
 */
export function lowerThisThread(): void {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return;
  }
  if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return;
  try {
    setPriority(tid, BACKGROUND_NICE);
  } catch {
    // a priority the OS refuses to change leaves the parse where it was: on the load's cores
  }
}
