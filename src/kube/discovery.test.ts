import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { makeWebhookCerts, type WebhookCerts } from '../../test/helpers/webhook-server.js';
import { VitictlError } from '../errors.js';
import { freePort } from '../lab/ports.js';
import { connect } from './connect.js';
import { discoverKinds, serverVersion } from './discovery.js';
import { KubeRest } from './rest.js';
import { deletableResources } from './run-resources.js';

/**
 * The retry wiring of discovery (what cleanup asks before it deletes) against a real local HTTP
 * server: transient answers and dropped connections are retried, a lasting failure stays an error.
 */

const temp = useTempDir();
let certs: WebhookCerts;
let tls: { cert: Buffer; key: Buffer };
beforeAll(async () => {
  certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-discovery-pki-')));
  tls = { cert: await readFile(certs.cert), key: await readFile(certs.key) };
});
afterAll(() => rm(certs.dir, { recursive: true, force: true }));
const servers: Server[] = [];
const rests: KubeRest[] = [];
afterEach(async () => {
  for (const rest of rests.splice(0)) await rest.close();
  for (const server of servers.splice(0)) server.close();
});

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

function listen(handler: Handler, port = 0): Promise<number> {
  const server = createServer(tls, handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function restFor(port: number): Promise<KubeRest> {
  const kubeconfig = await temp.write(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'c', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority': certs.ca } },
      ],
      users: [{ name: 'u', user: { token: 'the-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  const rest = await KubeRest.create(await connect({ kubeconfig, env: {} }));
  rests.push(rest);
  return rest;
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const VERSION = { major: '1', minor: '37', gitVersion: 'v1.37.2' };

async function rejection(promise: Promise<unknown>): Promise<VitictlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VitictlError)) throw new Error(`expected a VitictlError, got ${String(error)}`);
  return error;
}

describe('discovery retried (cleanup)', () => {
  it('503 twice, then the answer: three requests, two retries reported', async () => {
    let requests = 0;
    const port = await listen((_request, response) => {
      requests++;
      if (requests <= 2) json(response, 503, { kind: 'Status', message: 'the server is restarting' });
      else json(response, 200, VERSION);
    });
    const retries: string[] = [];
    const version = await serverVersion(await restFor(port), {
      retryMs: 10_000,
      onRetry: (why) => retries.push(why),
    });
    expect(version).toBe('v1.37.2');
    expect(requests).toBe(3);
    expect(retries).toEqual(['HTTP 503', 'HTTP 503']);
  });

  it('429 with Retry-After is waited out; a dropped connection is retried', async () => {
    let requests = 0;
    const port = await listen((request, response) => {
      requests++;
      if (requests === 1) json(response, 429, { kind: 'Status' }, { 'retry-after': '1' });
      else if (requests === 2) request.socket.destroy();
      else json(response, 200, VERSION);
    });
    const retries: string[] = [];
    const started = performance.now();
    await serverVersion(await restFor(port), { retryMs: 10_000, onRetry: (why) => retries.push(why) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(retries).toEqual(['HTTP 429', expect.stringMatching(/^reset \(/)]);
  });

  it('an API server that starts listening during the retries (a restart) is waited for', async () => {
    const port = await freePort();
    const rest = await restFor(port);
    setTimeout(() => void listen((_request, response) => json(response, 200, VERSION), port), 700);
    const retries: string[] = [];
    expect(await serverVersion(rest, { retryMs: 10_000, onRetry: (why) => retries.push(why) })).toBe(
      'v1.37.2',
    );
    expect(retries[0]).toBe('refused (ECONNREFUSED)');
  });

  it('still refused when the retries end: the one-line network error, exit 1', async () => {
    const port = await freePort();
    const error = await rejection(serverVersion(await restFor(port), { retryMs: 600 }));
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('discovery answering 503 after the retries is an error naming the path (exit 1), not "not served"', async () => {
    let requests = 0;
    const port = await listen((request, response) => {
      requests++;
      if (request.url === '/version') json(response, 200, VERSION);
      else json(response, 503, { kind: 'Status', message: 'unavailable' });
    });
    const rest = await restFor(port);
    const all = await rejection(deletableResources(rest, { retryMs: 800 }));
    expect(all.exitCode).toBe(1);
    expect(all.message).toBe(`discovery GET https://127.0.0.1:${port}/apis answered 503`);
    const before = requests;
    const kinds = await rejection(
      discoverKinds(rest, [{ apiVersion: 'vitistack.io/v1alpha1', kind: 'Machine' }], { retryMs: 800 }),
    );
    expect(kinds.exitCode).toBe(1);
    expect(kinds.message).toBe(
      `discovery GET https://127.0.0.1:${port}/apis/vitistack.io/v1alpha1 answered 503`,
    );
    expect(requests - before).toBeGreaterThan(1);
  });

  it('a group version the server does not serve (404) is still bad input, exit 2', async () => {
    const port = await listen((request, response) => {
      if (request.url === '/apis/vitistack.io') json(response, 404, { kind: 'Status' });
      else json(response, 404, { kind: 'Status', message: 'not found' });
    });
    const error = await rejection(
      discoverKinds(await restFor(port), [{ apiVersion: 'vitistack.io/v1alpha1', kind: 'Machine' }], {
        retryMs: 800,
      }),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      'Machine (vitistack.io/v1alpha1) is not served: group vitistack.io is not served at all',
    );
  });
});
