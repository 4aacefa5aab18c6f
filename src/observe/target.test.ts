import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type OutgoingHttpHeaders, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { useLocalServers } from '../../test/helpers/local-server.js';
import { makeWebhookCerts } from '../../test/helpers/webhook-server.js';
import { VitictlError } from '../errors.js';
import { connect } from '../kube/connect.js';
import { MIN_BODY_DEADLINE_MS } from '../util/read-bounded.js';
import { scrapeTargets } from './metrics/scraper.js';
import { captureProfile } from './pprof/capture.js';
import { resolveTargets, type Target } from './target.js';

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

const MiB = 2 ** 20;
const servers: Server[] = [];
const targets: Target[] = [];
afterEach(async () => {
  for (const target of targets.splice(0)) await target.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

interface Hostile {
  port: number;
  /** bytes the server got to write: with backpressure, a bound on what the client buffered */
  sent(): number;
  /** resolves when the client dropped the connection */
  dropped: Promise<void>;
}

/**
 * A real endpoint that streams an exposition-looking body forever (or sends `body` once); over TLS
 * with `tls` (an API server whose pod proxy answers so).
 */
function hostileServer(
  headers: OutgoingHttpHeaders = {},
  body?: Buffer,
  tls?: { cert: Buffer; key: Buffer },
): Promise<Hostile> {
  let sent = 0;
  let onDropped: () => void = () => undefined;
  const dropped = new Promise<void>((resolve) => {
    onDropped = resolve;
  });
  const chunk = Buffer.from('# TYPE up gauge\nup 1\n'.repeat(3000));
  const handler: RequestListener = (_request, response) => {
    response.on('close', () => onDropped());
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', ...headers });
    if (body) {
      response.end(body);
      return;
    }
    const pump = () => {
      while (!response.destroyed && response.write(chunk)) sent += chunk.length;
      if (!response.destroyed) response.once('drain', pump);
    };
    pump();
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as { port: number }).port, sent: () => sent, dropped }),
    ),
  );
}

async function targetAt(url: string): Promise<Target> {
  const [target] = (await resolveTargets(url, { namespace: 'default' })) as [Target];
  targets.push(target);
  return target;
}

/** A real endpoint that sends its headers and then one byte every 100 ms, for ever. */
function drippingServer(): Promise<{ port: number }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    const timer = setInterval(() => (response.destroyed ? clearInterval(timer) : response.write('#')), 100);
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port })),
  );
}

describe('a body that drips ends at the timeout (undici times only the gaps between chunks)', () => {
  it('a scrape of it fails as a timeout once its time is up, not never', async () => {
    const server = await drippingServer();
    const target = await targetAt(`http://127.0.0.1:${server.port}/metrics`);
    const started = performance.now();
    const { failures } = await scrapeTargets([target], { intervalMs: 500, once: true });
    // a whole body gets MIN_BODY_DEADLINE_MS, more than the 1 s its start and its gaps get
    expect(performance.now() - started).toBeGreaterThanOrEqual(MIN_BODY_DEADLINE_MS - 100);
    expect(performance.now() - started).toBeLessThan(MIN_BODY_DEADLINE_MS + 2000);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/timeout \(UND_ERR_BODY_TIMEOUT\) the body did not end in time/);
  });
});

describe('response bodies are bounded: refused past the limit, the rest never read', () => {
  it('an endless scrape body is a failed scrape (parse) in well under a second, memory bounded', async () => {
    const server = await hostileServer();
    const target = await targetAt(`http://127.0.0.1:${server.port}/metrics`);
    const heapBefore = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const { stores, failures } = await scrapeTargets([target], {
      intervalMs: 100,
      once: true,
      maxBytes: MiB,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    await server.dropped;
    expect(stores[0]!.size).toBe(0);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      kind: 'parse',
      message: expect.stringMatching(
        new RegExp(
          `^http://127\\.0\\.0\\.1:${server.port}/metrics: the response is over the 1 MiB limit \\(reading stopped at 1(\\.\\d)? MiB\\)$`,
        ),
      ),
    });
    expect(failures[0]!.hint).toMatch(/--max-exposition-size MiB/);
    // the server could write only what we read plus socket buffers: a few MiB, not an endless stream
    expect(server.sent()).toBeLessThan(8 * MiB);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(16 * MiB);
  });

  it('a Content-Length past the limit is refused before the body is read', async () => {
    const server = await hostileServer({ 'content-length': String(5 * 2 ** 30) });
    const target = await targetAt(`http://127.0.0.1:${server.port}/metrics`);
    const { failures } = await scrapeTargets([target], { intervalMs: 100, once: true, maxBytes: MiB });
    expect(failures[0]).toMatchObject({
      kind: 'parse',
      reason: 'the response is 5120 MiB (Content-Length), more than the 1 MiB limit',
    });
    await server.dropped;
    expect(server.sent()).toBeLessThan(8 * MiB);
  });

  it('a small gzip that inflates past the limit is refused at the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB, 'a'));
    expect(bomb.length).toBeLessThan(MiB);
    const server = await hostileServer({ 'content-encoding': 'gzip' }, bomb);
    const target = await targetAt(`http://127.0.0.1:${server.port}/metrics`);
    const { failures } = await scrapeTargets([target], { intervalMs: 100, once: true, maxBytes: MiB });
    expect(failures[0]).toMatchObject({
      kind: 'parse',
      reason: 'decompresses to more than 1 MiB',
      hint: expect.stringMatching(/--max-exposition-size/),
    });
  });

  it('an endless pprof answer is bad input naming the URL and --max-profile-size (exit 2), nothing saved', async () => {
    const server = await hostileServer({ 'content-type': 'application/octet-stream' });
    const target = await targetAt(`http://127.0.0.1:${server.port}`);
    const started = performance.now();
    const error = await captureProfile(target, {
      profile: 'heap',
      outDir: '/nonexistent',
      maxBytes: MiB,
    }).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(VitictlError);
    const refused = error as VitictlError;
    expect(refused.exitCode).toBe(2);
    expect(refused.location).toEqual({ url: `http://127.0.0.1:${server.port}/debug/pprof/heap` });
    expect(refused.message).toMatch(
      /^the response is over the 1 MiB limit \(reading stopped at 1(\.\d)? MiB\)$/,
    );
    expect(refused.hint).toMatch(/--max-profile-size MiB/);
    await server.dropped;
    expect(server.sent()).toBeLessThan(8 * MiB);
  });
});

describe('a target whose TLS handshake never completes, and an interrupt', () => {
  const temp = useTempDir();

  const { silent } = useLocalServers();

  it('a scrape interrupted while connecting ends at once: no failure counted, no last scrape, the target closed at once', async () => {
    const server = await silent();
    const target = await targetAt(`https://127.0.0.1:${server.port}/metrics`);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort('SIGINT'), 200);
    const started = performance.now();
    const { stores, failures } = await scrapeTargets([target], {
      intervalMs: 1000,
      durationMs: 30_000,
      signal: interrupt.signal,
      interrupt: interrupt.signal,
    });
    await target.close();
    await server.dropped;
    // undici waits 10 s for a connection, and its close for that request
    expect(performance.now() - started).toBeLessThan(2000);
    expect(stores[0]!.size).toBe(0);
    expect(failures).toEqual([]);
  });

  it('a profile capture interrupted while connecting ends at once and its target closes at once', async () => {
    const server = await silent();
    const target = await targetAt(`https://127.0.0.1:${server.port}`);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort('SIGTERM'), 200);
    const started = performance.now();
    const outDir = (await temp.write('x', '')).replace(/\/x$/, '');
    await expect(
      captureProfile(target, { profile: 'heap', outDir, signal: interrupt.signal }),
    ).rejects.toThrow(/abort/i);
    await target.close();
    await server.dropped;
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('through the API server proxy (pod/NAME:PORT)', () => {
  const temp = useTempDir();
  it('an endless answer is a failed scrape naming the pod, read no further than the limit', async () => {
    const certs = await makeWebhookCerts(await mkdtemp(join(tmpdir(), 'vitictl-proxy-pki-')));
    try {
      const server = await hostileServer({}, undefined, {
        cert: await readFile(certs.cert),
        key: await readFile(certs.key),
      });
      const kubeconfig = await temp.write(
        'kubeconfig',
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'c',
              cluster: { server: `https://127.0.0.1:${server.port}`, 'certificate-authority': certs.ca },
            },
          ],
          users: [{ name: 'u', user: { token: 'the-token' } }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      const [target] = (await resolveTargets('pod/operator-0:8080', {
        namespace: 'vitistack-system',
        connect: () => connect({ kubeconfig, env: {} }),
      })) as [Target];
      targets.push(target);
      const { failures } = await scrapeTargets([target], { intervalMs: 100, once: true, maxBytes: MiB });
      expect(failures[0]).toMatchObject({
        kind: 'parse',
        message: expect.stringMatching(
          /^pod\/vitistack-system\/operator-0:8080\/metrics: the response is over the 1 MiB limit/,
        ),
      });
      await server.dropped;
      expect(server.sent()).toBeLessThan(8 * MiB);
    } finally {
      await rm(certs.dir, { recursive: true, force: true });
    }
  });
});
