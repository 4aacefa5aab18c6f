import { existsSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { thrownByAsync } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { writeChunks, writeFileAtomically } from './atomic-write.js';
import { ensureOutDir } from './out-dir.js';

const temp = useTempDir();

describe('output paths vitictl cannot use are bad input, named, never an internal error', () => {
  it('ensureOutDir makes missing parents, and refuses a file in the way (exit 2)', async () => {
    const file = await temp.write('run.json', '{}');
    const nested = join(temp.dir(), 'a', 'b', 'c');
    await ensureOutDir(nested, '--out-dir');
    expect(statSync(nested).isDirectory()).toBe(true);
    for (const dir of [file, join(file, 'x')]) {
      const error = await thrownByAsync(() => ensureOutDir(dir, '--out-dir'));
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(`cannot use --out-dir ${dir}: ${file} exists and is not a directory`);
    }
  });

  it('ensureOutDir names a dangling link as one (mkdir said EEXIST)', async () => {
    await temp.write('run.json', '{}');
    const link = join(temp.dir(), 'out');
    symlinkSync(join(temp.dir(), 'gone'), link);
    const error = await thrownByAsync(() => ensureOutDir(link, '--out-dir'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `cannot use --out-dir ${link}: ${link} is a link to ${join(temp.dir(), 'gone')}, which does not exist`,
    );
  });

  it('ensureOutDir refuses where the file system will not create it, at once (recursive mkdir spins on /proc)', async () => {
    const started = performance.now();
    const error = await thrownByAsync(() => ensureOutDir('/proc/vitictl-test/x', '--out-dir'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(
      /^cannot create --out-dir \/proc\/vitictl-test\/x: E[A-Z]+ at \/proc\/vitictl-test$/,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('writeFileAtomically names a directory in the way and a file posing as a directory (exit 2), leaving nothing', async () => {
    const file = await temp.write('run.json', '{}');
    for (const [target, why] of [
      [temp.dir(), 'it is a directory (EISDIR)'],
      [join(file, 'a.yaml'), 'a part of its path is a file, not a directory (ENOTDIR)'],
    ] as const) {
      const error = await thrownByAsync(() =>
        writeFileAtomically(target, (stream) => writeChunks(stream, ['x'])),
      );
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(`cannot write the file: ${why}`);
      expect(error.location).toEqual({ file: target });
    }
    expect(existsSync(join(temp.dir(), 'a.yaml'))).toBe(false);
  });
});
