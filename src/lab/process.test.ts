import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stopGroupOnAbort } from './process.js';

/** Running: a killed process that its reaper has not collected yet (a zombie, state Z) is not. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // the state follows the parenthesised command name
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    // no /proc: kill(0) is all there is
    return true;
  }
};

describe('stopGroupOnAbort', () => {
  it('stops what a build script started too, not just the script (a go build outlived the cancelled lab up)', async () => {
    // the script starts a long child of its own, as build.sh starts go build, and waits for it
    const child = execa('bash', ['-c', 'sleep 60 & echo $!; wait'], { reject: false, detached: true });
    const grandchild = await new Promise<number>((resolve) =>
      child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    const controller = new AbortController();
    const stopListening = stopGroupOnAbort(child.pid, controller.signal);
    controller.abort('SIGINT');
    const result = await child.finally(stopListening);
    expect(result.signal).toBe('SIGTERM');
    // the signal reaches it at once, but a loaded host may run it late: give it a moment
    for (let i = 0; i < 250 && alive(grandchild); i++) await sleep(20);
    expect(alive(grandchild)).toBe(false);
  });
});
