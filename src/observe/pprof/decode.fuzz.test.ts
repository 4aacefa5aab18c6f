import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { mutated, onlyInputErrors } from '../../../test/helpers/fuzz.js';
import { cpuProfile } from '../../../test/helpers/pprof-build.js';
import { decodeProfile } from './decode.js';

describe('decodeProfile on hostile bytes', () => {
  const raw = gunzipSync(
    cpuProfile([
      { stack: ['main.hot', 'main.main'], count: 90 },
      { stack: ['main.cold', 'main.main'], count: 10 },
    ]),
  );

  it('arbitrary bytes are a profile or an input error', () => {
    onlyInputErrors(fc.uint8Array({ maxLength: 512 }), (bytes) => decodeProfile(bytes, 'x.pb', 2 ** 20));
  });

  it('a mutated profile is a profile or an input error', () => {
    onlyInputErrors(mutated(raw), (bytes) => decodeProfile(bytes, 'x.pb', 2 ** 20), 500);
  });
});
