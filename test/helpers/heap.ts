import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// V8 exposes gc() to contexts made after the flag is set; a test process never needs it otherwise
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes still in use after `work` ran, with full collections before and after. */
export function heapRetainedBy(work: () => void): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  work();
  gc();
  return process.memoryUsage().heapUsed - before;
}
