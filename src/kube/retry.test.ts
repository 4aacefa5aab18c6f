import { describe, expect, it } from 'vitest';
import { useLocalServers } from '../../test/helpers/local-server.js';
import { newRetryCounters, requestWithRetry } from './retry.js';

const { https } = useLocalServers();

describe('requestWithRetry counts what the server did, not what the interrupt did', () => {
  it('a 503 then a 200: the 503 counted, one retry, and kept as the latest failure for the progress line', async () => {
    let calls = 0;
    const { rest } = await https((_request, response) => {
      calls++;
      response.statusCode = calls === 1 ? 503 : 200;
      response.end('{}');
    });
    const counters = newRetryCounters();
    const answer = await requestWithRetry(
      rest,
      'GET',
      '/version',
      {},
      {
        deadline: performance.now() + 10_000,
        counters,
        initialBackoffMs: 1,
      },
    );
    expect(answer.ok).toBe(true);
    expect(Object.fromEntries(counters.errors)).toEqual({ '503': 1 });
    expect(counters.retries).toBe(1);
    expect(counters.lastFailure).toEqual({ why: 'HTTP 503', at: expect.any(Number) });
  });

  it('a request cut short by Ctrl-C is interrupted and counted as no error', async () => {
    const controller = new AbortController();
    const { rest } = await https(() => {
      // never answers; the interrupt comes while the request waits
      controller.abort();
    });
    const counters = newRetryCounters();
    const answer = await requestWithRetry(
      rest,
      'GET',
      '/version',
      { signal: controller.signal },
      {
        deadline: performance.now() + 10_000,
        counters,
        signal: controller.signal,
      },
    );
    expect(answer).toMatchObject({ ok: false, interrupted: true, attempts: 1 });
    expect(Object.fromEntries(counters.errors)).toEqual({});
    expect(counters.retries).toBe(0);
  });
});
