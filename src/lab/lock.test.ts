import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { thrownByAsync } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { withLabLock } from './lock.js';

const temp = useTempDir();

async function labDirIn(): Promise<string> {
  await temp.write('marker', '');
  return join(temp.dir(), 'lab');
}

describe('one lab up or lab down at a time per lab directory', () => {
  it('a second one waits until the first has finished, says whom it waits for, and the lock is gone after', async () => {
    const dir = await labDirIn();
    const events: string[] = [];
    const lines: string[] = [];
    const first = withLabLock(dir, { progress: () => undefined }, async () => {
      events.push('first starts');
      await sleep(300);
      events.push('first ends');
    });
    await sleep(20);
    const second = withLabLock(dir, { progress: (line) => lines.push(line) }, async () => {
      events.push('second starts');
    });
    await Promise.all([first, second]);
    expect(events).toEqual(['first starts', 'first ends', 'second starts']);
    expect(lines).toEqual([
      `waiting for another vitictl (pid ${process.pid}) starting or stopping the lab in ${dir}`,
    ]);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('takes over a lock whose holder has died', async () => {
    const dir = await labDirIn();
    const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
    await writeFile(`${dir}.lock`, `${dead.stdout}\n`);
    const lines: string[] = [];
    expect(await withLabLock(dir, { progress: (line) => lines.push(line) }, async () => 'done')).toBe('done');
    expect(lines).toEqual([]);
  });

  it('an empty lock file is a holder still writing its pid, unless it is old', async () => {
    const dir = await labDirIn();
    await writeFile(`${dir}.lock`, '');
    const taken = withLabLock(dir, { progress: () => undefined }, async () => 'done');
    await sleep(200);
    // still waiting: the file may be seconds from holding a pid; once old, it is left over
    expect(existsSync(`${dir}.lock`)).toBe(true);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${dir}.lock`, old, old);
    expect(await taken).toBe('done');
  });

  it('releases the lock when the work throws', async () => {
    const dir = await labDirIn();
    await expect(
      withLabLock(dir, { progress: () => undefined }, async () => {
        throw new Error('failed');
      }),
    ).rejects.toThrow('failed');
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('Ctrl-C while waiting: interrupted, nothing done (exit 130)', async () => {
    const dir = await labDirIn();
    const controller = new AbortController();
    let release: () => void = () => undefined;
    const held = withLabLock(
      dir,
      { progress: () => undefined },
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await sleep(20);
    let ran = false;
    const waiting = thrownByAsync(() =>
      withLabLock(dir, { progress: () => undefined, signal: controller.signal }, async () => {
        ran = true;
      }),
    );
    await sleep(100);
    controller.abort('SIGINT');
    const error = await waiting;
    expect(error.exitCode).toBe(130);
    expect(error.message).toBe('interrupted while waiting for the other vitictl: nothing was done');
    expect(ran).toBe(false);
    release();
    await held;
  });
});
