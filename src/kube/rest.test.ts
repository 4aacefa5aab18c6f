import { createServer as createTcpServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useLocalServers } from '../../test/helpers/local-server.js';
import { VitictlError } from '../errors.js';
import { freePort } from '../lab/ports.js';
import type { KubeRest, NetworkError } from './rest.js';

const { listening, restFor, https, silent } = useLocalServers();

async function failureOf(rest: KubeRest): Promise<NetworkError> {
  try {
    await rest.request('GET', '/version');
  } catch (error) {
    return error as NetworkError;
  }
  throw new Error('the request succeeded');
}

describe('KubeRest against an API server that gives no answer', () => {
  it('a closed port is a one-line runtime error naming the server, with a hint', async () => {
    const port = await freePort();
    const error = await failureOf(await restFor(`https://127.0.0.1:${port}`));
    expect(error).toBeInstanceOf(VitictlError);
    expect(error.exitCode).toBe(1);
    expect(error.failure).toBe('refused');
    expect(error.message).toBe(
      `cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(error.hint).toMatch(/is the cluster up\?.*--kubeconfig\/--context/);
  });

  it('a server whose certificate another CA signed is a TLS error naming the server', async () => {
    const { port, rest } = await https((_request, response) => response.end('{}'), 'another CA');
    const error = await failureOf(rest);
    expect(error.failure).toBe('tls');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(
      new RegExp(`^cannot reach the API server at https://127\\.0\\.0\\.1:${port}: \\S+`),
    );
    expect(error.hint).toMatch(/CA in the kubeconfig/);
  });

  it('a server that drops the connection is a reset, named', async () => {
    const server = createTcpServer((socket) => socket.destroy());
    const port = await listening(server);
    const error = await failureOf(await restFor(`https://127.0.0.1:${port}`));
    expect(error.failure).toBe('reset');
    expect(error.message).toMatch(
      new RegExp(`^cannot reach the API server at https://127\\.0\\.0\\.1:${port}: `),
    );
  });

  it('never shows credentials written into the server URL', async () => {
    const port = await freePort();
    const rest = await restFor(`https://admin:s3cret@127.0.0.1:${port}`);
    expect(rest.server).toBe(`https://REDACTED@127.0.0.1:${port}`);
    const error = await failureOf(rest);
    expect(error.message).not.toContain('s3cret');
    expect(error.message).toContain(`https://REDACTED@127.0.0.1:${port}`);
  });
});

describe('KubeRest and its kubeconfig', () => {
  it('a client key that is not a key is a one-line input error naming the server, before any request', async () => {
    const port = await freePort();
    const garbage = Buffer.from('not a key').toString('base64');
    const error = await restFor(`https://127.0.0.1:${port}`, undefined, {
      'client-certificate-data': garbage,
      'client-key-data': garbage,
    }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).exitCode).toBe(2);
    expect((error as VitictlError).message).toMatch(
      new RegExp(`^the kubeconfig's TLS material for https://127\\.0\\.0\\.1:${port} cannot be used: `),
    );
  });
});

describe('KubeRest and an interrupt', () => {
  it('answers at once a request still waiting for its connection: a server that never finishes the TLS handshake', async () => {
    const { port, accepted } = await silent();
    const rest = await restFor(`https://127.0.0.1:${port}`);
    const controller = new AbortController();
    const asked = rest.request('GET', '/version', { signal: controller.signal }).then(
      () => 'answered',
      (error: NetworkError) => error.message,
    );
    while (accepted.length === 0) await sleep(10);
    const abortedAt = performance.now();
    controller.abort();
    expect(await asked).toMatch(
      /^cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: UND_ERR_ABORTED Request aborted$/,
    );
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  it('closes at once after it answered a request at the abort, dropping the connection still in its handshake', async () => {
    const { port, accepted, dropped } = await silent();
    const rest = await restFor(`https://127.0.0.1:${port}`);
    const controller = new AbortController();
    const asked = rest.request('GET', '/version', { signal: controller.signal }).catch(() => 'aborted');
    while (accepted.length === 0) await sleep(10);
    controller.abort();
    expect(await asked).toBe('aborted');
    const closing = performance.now();
    await rest.close();
    // and the half-open connection is dropped: left to undici, it would hold the process until then
    await dropped;
    // undici's own close waits out its 10 s connect timeout
    expect(performance.now() - closing).toBeLessThan(1000);
  });
});

describe('KubeRest.warm', () => {
  it('opens one connection per warming request, and the requests after it open none', async () => {
    let handshakes = 0;
    const { server, rest } = await https((_request, response) => response.end('{"major":"1"}'));
    server.on('secureConnection', () => handshakes++);
    expect(await rest.warm(6)).toBe(6);
    expect(handshakes).toBe(6);
    await Promise.all(Array.from({ length: 6 }, () => rest.request('GET', '/api')));
    expect(handshakes).toBe(6);
  });

  it('counts only the requests answered 200: a server that refuses them warms nothing', async () => {
    const { rest } = await https((_request, response) => {
      response.statusCode = 401;
      response.end('{"kind":"Status","message":"Unauthorized"}');
    });
    expect(await rest.warm(3)).toBe(0);
  });

  it('an interrupt ends it at once: a server that never answers warms nothing', async () => {
    let asked = 0;
    const { rest } = await https(() => asked++);
    const controller = new AbortController();
    const warming = rest.warm(3, controller.signal);
    while (asked < 3) await sleep(10);
    const abortedAt = performance.now();
    controller.abort();
    expect(await warming).toBe(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });
});
