import { describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import { resolveTargets } from './target.js';

describe('resolveTargets', () => {
  it('names a URL it cannot read with the credentials redacted (exit 2)', async () => {
    const error = await resolveTargets('http://scraper:s3cret@[::1/metrics?access_token=s3cret', {
      namespace: 'default',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).exitCode).toBe(2);
    expect((error as VitictlError).message).toBe(
      '"http://REDACTED@[::1/metrics?access_token=REDACTED" is not a URL, pod/NAME:PORT or service/NAME:PORT',
    );
  });
});
