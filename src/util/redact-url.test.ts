import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['http://user:s3cret@127.0.0.1:8080/metrics', 'http://REDACTED@127.0.0.1:8080/metrics'],
    ['https://tok@en:p@ss@host/x', 'https://REDACTED@host/x'],
    ['http://host/metrics?access_token=s3cret', 'http://host/metrics?access_token=REDACTED'],
    [
      'http://host/m?a=1&apikey=s3cret&Password=p&X-Amz-Signature=sig&b=2#frag',
      'http://host/m?a=1&apikey=REDACTED&Password=REDACTED&X-Amz-Signature=REDACTED&b=2#frag',
    ],
    ['http://host/m?client%5Fsecret=s3cret', 'http://host/m?client%5Fsecret=REDACTED'],
    ['http://u:p@[::1', 'http://REDACTED@[::1'],
  ])('hides the credentials in %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each([
    'http://127.0.0.1:8080/metrics',
    'http://host/debug/pprof/profile?seconds=30&debug=2',
    'https://host/path#token=fragment-is-never-sent',
    'pod/vitistack-system/operator-0:8080',
  ])('keeps %s as written', (url) => {
    expect(redactUrl(url)).toBe(url);
  });
});
