import { describe, expect, it } from 'vitest';
import { useLocalServers } from '../../test/helpers/local-server.js';
import { interruptedError } from '../errors.js';
import { preflight } from './preflight.js';

const { restFor, silent } = useLocalServers();

const INPUT = {
  kinds: [{ apiVersion: 'vitistack.io/v1alpha1', kind: 'Machine' }],
  namespaces: ['default'],
  createNamespaces: false,
  cleanup: true,
  run: { id: 'r1', labelSelector: 'vitictl.io/run-id=r1', reuse: false },
};

describe('preflight against an API server that went silent', () => {
  it('ends at the interrupt, not at its requests’ timeouts', async () => {
    const { port } = await silent();
    const rest = await restFor(`https://127.0.0.1:${port}`);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort('SIGTERM'), 200);
    const started = performance.now();
    const error = await preflight(rest, INPUT, interrupt.signal).catch((caught: unknown) => caught);
    // undici's connect timeout alone is 10 s, the request's 15 s
    expect(performance.now() - started).toBeLessThan(1500);
    expect(String(error)).toMatch(/aborted/i);
  });
});

describe('an interrupted run', () => {
  it('exits 130 after Ctrl-C and 143 after SIGTERM, as a shell reports them', () => {
    const stopped = (reason: string) => {
      const controller = new AbortController();
      controller.abort(reason);
      return interruptedError('interrupted during preflight: nothing was created', controller.signal);
    };
    expect(stopped('SIGINT').exitCode).toBe(130);
    expect(stopped('SIGTERM').exitCode).toBe(143);
    expect(stopped('SIGTERM').kind).toBe('interrupted');
  });
});
