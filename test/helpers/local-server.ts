import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { connect } from '../../src/kube/connect.js';
import { KubeRest } from '../../src/kube/rest.js';
import { useTempDir } from './files.js';
import { makeWebhookCerts } from './webhook-server.js';

/**
 * Small local servers for KubeRest's transport behaviour (refusals, resets, silences, interrupts), and
 * a KubeRest pointed at them through a kubeconfig; everything is closed after each test. Not an API
 * server: what the Kubernetes API does is tested against the lab.
 */
export function useLocalServers() {
  const temp = useTempDir();
  const servers: Array<{ close(): void }> = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) server.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const listening = <T extends Server | ReturnType<typeof createTcpServer>>(server: T): Promise<number> => {
    servers.push(server);
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  };

  const restFor = async (
    server: string,
    ca?: string,
    user: Record<string, string> = { token: 'the-token' },
  ): Promise<KubeRest> => {
    const kubeconfig = await temp.write(
      'kubeconfig',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server, ...(ca ? { 'certificate-authority': ca } : {}) } }],
        users: [{ name: 'u', user }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const rest = await KubeRest.create(await connect({ kubeconfig, env: {} }));
    cleanups.push(() => rest.close());
    return rest;
  };

  /** An HTTPS server with a certificate of its own CA, and a KubeRest that trusts that CA (or another). */
  const https = async (
    handler: (request: IncomingMessage, response: ServerResponse) => void,
    trust: 'its CA' | 'another CA' = 'its CA',
  ): Promise<{ server: Server; port: number; rest: KubeRest }> => {
    const certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-rest-pki-')));
    cleanups.push(() => rm(certs.dir, { recursive: true, force: true }));
    const server = createHttpsServer(
      { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      handler,
    );
    const port = await listening(server);
    const ca = trust === 'its CA' ? certs.ca : certs.otherCa;
    return { server, port, rest: await restFor(`https://127.0.0.1:${port}`, ca) };
  };

  /**
   * A port that accepts connections and never answers: a TLS handshake there never completes (a
   * server gone silent). `accepted` fills as clients connect; `dropped` resolves when one hangs up.
   */
  const silent = async (): Promise<{ port: number; accepted: Socket[]; dropped: Promise<void> }> => {
    const accepted: Socket[] = [];
    let onDropped: () => void = () => undefined;
    const dropped = new Promise<void>((resolve) => {
      onDropped = resolve;
    });
    const port = await listening(
      createTcpServer((socket) => {
        // read what the client sends (its TLS hello), so its going away reaches 'close'
        socket.resume();
        socket.once('close', () => onDropped());
        accepted.push(socket);
      }),
    );
    cleanups.push(async () => {
      for (const socket of accepted) socket.destroy();
    });
    return { port, accepted, dropped };
  };

  return { listening, restFor, https, silent };
}
