import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCpuWaitClock } from './cpu-wait.js';

describe('cpu wait clock', () => {
  it('reads the run-queue wait, the second field of schedstat, in ms, afresh on every read', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vitictl-schedstat-')), 'schedstat');
    writeFileSync(file, '812345678 4567000 91\n');
    const clock = openCpuWaitClock(file)!;
    expect(clock.read()).toBe(4.567);
    writeFileSync(file, '912345678 12500000 95\n');
    expect(clock.read()).toBe(12.5);
    // a read that makes no sense counts as no wait since the last one: the run goes on
    writeFileSync(file, 'gone\n');
    expect(clock.read()).toBe(12.5);
    clock.close();
  });

  it('is null where the kernel does not say: no such file, or not its format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitictl-schedstat-'));
    expect(openCpuWaitClock(join(dir, 'missing'))).toBeNull();
    writeFileSync(join(dir, 'other'), 'not a schedstat\n');
    expect(openCpuWaitClock(join(dir, 'other'))).toBeNull();
  });

  it.runIf(process.platform === 'linux')(
    "reads this thread's own: between two plain reads of the file",
    () => {
      const plain = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
      const clock = openCpuWaitClock()!;
      const before = plain();
      const read = clock.read();
      const after = plain();
      expect(read).toBeGreaterThanOrEqual(before);
      expect(read).toBeLessThanOrEqual(after);
      clock.close();
    },
  );
});
