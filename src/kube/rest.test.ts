import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { makeWebhookCerts } from '../../test/helpers/webhook-server.js';
import { VitictlError } from '../errors.js';
import { freePort } from '../lab/ports.js';
import { connect } from './connect.js';
import { KubeRest, type NetworkError } from './rest.js';

const temp = useTempDir();
const servers: Array<{ close(): void }> = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function restFor(server: string, ca?: string): Promise<KubeRest> {
  const kubeconfig = await temp.write(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, ...(ca ? { 'certificate-authority': ca } : {}) } }],
      users: [{ name: 'u', user: { token: 'the-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  return KubeRest.create(await connect({ kubeconfig, env: {} }));
}

async function failureOf(rest: KubeRest): Promise<NetworkError> {
  try {
    await rest.request('GET', '/version');
  } catch (error) {
    return error as NetworkError;
  } finally {
    await rest.close();
  }
  throw new Error('the request succeeded');
}

function listening<T extends Server | ReturnType<typeof createTcpServer>>(server: T): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
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
    const certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-rest-pki-')));
    cleanups.push(() => rm(certs.dir, { recursive: true, force: true }));
    const server = createHttpsServer(
      { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      (_request, response) => response.end('{}'),
    );
    const port = await listening(server);
    const error = await failureOf(await restFor(`https://127.0.0.1:${port}`, certs.otherCa));
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

describe('KubeRest.warm', () => {
  it('opens one connection per warming request, and the requests after it open none', async () => {
    const certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-rest-pki-')));
    cleanups.push(() => rm(certs.dir, { recursive: true, force: true }));
    let handshakes = 0;
    const server = createHttpsServer(
      { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      (_request, response) => response.end('{"major":"1"}'),
    );
    server.on('secureConnection', () => handshakes++);
    const port = await listening(server);
    const rest = await restFor(`https://127.0.0.1:${port}`, certs.ca);
    try {
      expect(await rest.warm(6)).toBe(6);
      expect(handshakes).toBe(6);
      await Promise.all(Array.from({ length: 6 }, () => rest.request('GET', '/api')));
      expect(handshakes).toBe(6);
    } finally {
      await rest.close();
    }
  });

  it('counts only the requests answered 200: a server that refuses them warms nothing', async () => {
    const certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-rest-pki-')));
    cleanups.push(() => rm(certs.dir, { recursive: true, force: true }));
    const server = createHttpsServer(
      { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      (_request, response) => {
        response.statusCode = 401;
        response.end('{"kind":"Status","message":"Unauthorized"}');
      },
    );
    const rest = await restFor(`https://127.0.0.1:${await listening(server)}`, certs.ca);
    try {
      expect(await rest.warm(3)).toBe(0);
    } finally {
      await rest.close();
    }
  });
});
