import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { thrownByAsync } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { VitictlError } from '../errors.js';
import { formatBytes, gunzipBounded, gunzipBoundedOffThread, MiB, readBoundedFile } from './read-input.js';

const location = { url: 'https://127.0.0.1:6443/metrics' };

describe('bounded gunzip, on the event loop and off it', () => {
  const text = Buffer.from('# TYPE up gauge\nup 1\n'.repeat(50_000));
  const gzipped = gzipSync(text);

  it('both give back the bytes that were compressed', async () => {
    expect(gunzipBounded(gzipped, location, 2 * MiB, 'raise it').equals(text)).toBe(true);
    expect((await gunzipBoundedOffThread(gzipped, location, 2 * MiB, 'raise it')).equals(text)).toBe(true);
  });

  it('both refuse output past the bound as bad input at the URL, with the hint', async () => {
    const bound = text.length - 1;
    const sync = (() => {
      try {
        gunzipBounded(gzipped, location, bound, 'raise it');
      } catch (error) {
        return error;
      }
    })();
    const offThread = await gunzipBoundedOffThread(gzipped, location, bound, 'raise it').catch(
      (error: unknown) => error,
    );
    for (const error of [sync, offThread]) {
      expect(error).toBeInstanceOf(VitictlError);
      expect(error).toMatchObject({ exitCode: 2, location, hint: 'raise it' });
      expect((error as VitictlError).message).toBe(`decompresses to more than ${formatBytes(bound)}`);
    }
  });

  it('a body that is not gzip is refused as bad input, off the event loop too', async () => {
    const error = await gunzipBoundedOffThread(Buffer.from('not gzip'), location, MiB, 'raise it').catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).message).toMatch(/^cannot decompress: /);
  });
});

describe('readBoundedFile and what is not a regular file', () => {
  const temp = useTempDir();

  it('refuses a FIFO at once as bad input (opening it would block until a writer came, signals included)', async () => {
    const fifo = join((await temp.write('marker', '')).replace(/\/marker$/, ''), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const error = await thrownByAsync(() => readBoundedFile(fifo, 'run file', MiB));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`run file is a FIFO (named pipe), not a regular file: ${fifo}`);
    expect(error.hint).toMatch(/pass - where the command takes it/);
  });
});
