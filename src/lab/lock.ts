import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interruptedError, runtimeError } from '../errors.js';

/** Long enough for a first `lab up` that builds the control plane from Go modules. */
const WAIT_LIMIT_MS = 20 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ms;
  } catch {
    return false;
  }
}

async function holderOf(lockFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(lockFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One `lab up` or `lab down` at a time per lab directory: two at once would each make certificates
 * and start components in the same place, and one would remove what the other started. The lock is
 * a file beside the directory (`lab down` and a fresh `lab up` remove the directory itself) holding
 * the holder's pid; a second command waits for it, and takes over a lock whose holder has died.
 */
export async function withLabLock<T>(
  dir: string,
  options: { progress: (line: string) => void; signal?: AbortSignal | undefined },
  work: () => Promise<T>,
): Promise<T> {
  const lockFile = `${dir}.lock`;
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let told = false;
  await mkdir(dirname(lockFile), { recursive: true });
  for (;;) {
    try {
      await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await holderOf(lockFile);
    // no pid yet: the holder may be writing it this instant; only an old such file is left over
    const leftOver = holder === undefined ? await olderThan(lockFile, 5000) : !alive(holder);
    if (leftOver) {
      // read again so that a lock just taken over by another waiter is not removed
      if ((await holderOf(lockFile)) === holder) await unlink(lockFile).catch(() => undefined);
      continue;
    }
    if (holder === undefined) {
      await sleep(50);
      continue;
    }
    if (!told)
      options.progress(`waiting for another vitictl (pid ${holder}) starting or stopping the lab in ${dir}`);
    told = true;
    if (options.signal?.aborted)
      throw interruptedError(
        'interrupted while waiting for the other vitictl: nothing was done',
        options.signal,
      );
    if (Date.now() > deadline)
      throw runtimeError(
        `another vitictl (pid ${holder}) has held the lab in ${dir} for ${WAIT_LIMIT_MS / 60_000} minutes`,
        {
          hint: `wait for it or stop it; ${lockFile} names it`,
        },
      );
    await sleep(250, undefined, { signal: options.signal }).catch(() => undefined);
  }
  try {
    return await work();
  } finally {
    if ((await holderOf(lockFile)) === process.pid) await unlink(lockFile).catch(() => undefined);
  }
}
