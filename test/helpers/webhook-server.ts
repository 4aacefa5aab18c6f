import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeCa, signLeaf } from '../../src/lab/certs.js';
import type { KubeObject } from '../../src/scenario/expand.js';
import { ReviewFactory, type ReviewSource, resourceInfo } from '../../src/webhook/admission-review.js';

/**
 * A real HTTPS admission webhook for tests and the bench: Node https, certificates made with openssl,
 * a per-request delay and the misbehaviours the API server has to survive. It denies Machines with
 * spec.memory < 0 or spec.cpu.cores < 0, like the lab operator.
 */

export interface WebhookCerts {
  dir: string;
  ca: string;
  /** a second CA that signed nothing the server uses ("wrong CA") */
  otherCa: string;
  /** valid for IP 127.0.0.1, DNS localhost and DNS webhook.vitictl-test.svc */
  cert: string;
  key: string;
  /** same names, notAfter in the past */
  expiredCert: string;
  expiredKey: string;
  /** a client certificate signed by the CA (for servers that require one) */
  clientCert: string;
  clientKey: string;
}

export const TEST_SERVICE_NAME = 'webhook.vitictl-test.svc';

export async function makeWebhookCerts(dir: string): Promise<WebhookCerts> {
  await mkdir(dir, { recursive: true });
  await makeCa(dir, 'ca', '/CN=ca', 30);
  await makeCa(dir, 'other-ca', '/CN=other-ca', 30);
  const serving = `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${TEST_SERVICE_NAME}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment`;
  await signLeaf(dir, { name: 'server', subject: '/CN=server', days: 30, extensions: serving });
  await signLeaf(dir, { name: 'expired', subject: '/CN=expired', days: -1, extensions: serving });
  await signLeaf(dir, {
    name: 'client',
    subject: '/CN=client',
    days: 30,
    extensions: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  });
  const at = (file: string) => join(dir, file);
  return {
    dir,
    ca: at('ca.crt'),
    otherCa: at('other-ca.crt'),
    cert: at('server.crt'),
    key: at('server.key'),
    expiredCert: at('expired.crt'),
    expiredKey: at('expired.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

export type Misbehaviour =
  | 'none'
  | 'wrong-uid'
  | 'non-json'
  | 'patch'
  | 'never-reply'
  | 'destroy-socket'
  | 'http-500'
  | 'stall-once'
  /** 9 MiB of spaces, then a valid answer: more than vitictl reads */
  | 'huge'
  /** the headers, then one byte every 100 ms (at most 100): never a whole answer in time */
  | 'drip'
  /** the headers and half a body, then the connection closed */
  | 'cut-body'
  /** valid JSON that is not an AdmissionReview object */
  | 'json-array';

export interface WebhookServerOptions {
  cert: string;
  key: string;
  /** CA file: when set, the server requires a client certificate signed by it */
  clientCa?: string;
  /** per-request delay in ms; below 2 ms it is timed by polling, so 0.3 means 300 µs */
  delayMs?: number;
  misbehaviour?: Misbehaviour;
  /** apply the misbehaviour to every Nth request (1: all); stall-once ignores it */
  every?: number;
  /** stall-once: after this many requests, hold every response for stallMs (default 500) */
  stallAfter?: number;
  stallMs?: number;
  /** keep the parsed requests (tests assert on them) */
  record?: boolean;
}

export interface SeenRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  review: {
    apiVersion?: string;
    kind?: string;
    request?: Record<string, unknown> & { uid?: string; operation?: string; dryRun?: boolean };
  };
}

export interface WebhookServer {
  url: string;
  port: number;
  requests(): number;
  /** the median per-request delay the server actually added, µs (polling overshoots the asked delay) */
  medianDelayUs(): number;
  resetDelays(): void;
  seen: SeenRequest[];
  close(): Promise<void>;
}

function denial(object: unknown): string | undefined {
  const spec = (object as { spec?: { memory?: unknown; cpu?: { cores?: unknown } } } | null)?.spec;
  if (typeof spec?.memory === 'number' && spec.memory < 0)
    return `spec.memory must be >= 0 bytes, got ${spec.memory}`;
  if (typeof spec?.cpu?.cores === 'number' && spec.cpu.cores < 0)
    return `spec.cpu.cores must be >= 0, got ${spec.cpu.cores}`;
  return undefined;
}

function wait(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  if (ms >= 2) return new Promise((resolve) => setTimeout(resolve, ms));
  // setTimeout has 1 ms granularity: poll the clock between I/O turns for sub-ms delays
  const until = performance.now() + ms;
  return new Promise((resolve) => {
    const tick = () => (performance.now() >= until ? resolve() : setImmediate(tick));
    setImmediate(tick);
  });
}

async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const misbehaviour = options.misbehaviour ?? 'none';
  const every = Math.max(1, options.every ?? 1);
  let count = 0;
  let stallUntil = 0;
  let stalled = false;
  const seen: SeenRequest[] = [];
  const delays: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ...(options.clientCa ? { ca: readFileSync(options.clientCa), requestCert: true } : {}),
      rejectUnauthorized: options.clientCa !== undefined,
    },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        count++;
        const n = count;
        const text = Buffer.concat(chunks).toString('utf8');
        let review: SeenRequest['review'] = {};
        try {
          review = JSON.parse(text) as SeenRequest['review'];
        } catch {
          response.writeHead(400, { 'content-type': 'text/plain' }).end('bad json');
          return;
        }
        if (options.record) seen.push({ url: request.url ?? '', headers: request.headers, review });
        if (misbehaviour === 'stall-once' && !stalled && n > (options.stallAfter ?? 0)) {
          stalled = true;
          stallUntil = performance.now() + (options.stallMs ?? 500);
        }
        const waited = performance.now();
        await wait(options.delayMs ?? 0);
        if (delays.length < 1_000_000) delays.push((performance.now() - waited) * 1000);
        const hold = stallUntil - performance.now();
        if (hold > 0) await wait(hold);
        const act = misbehaviour !== 'stall-once' && n % every === 0 ? misbehaviour : 'none';
        if (act === 'never-reply') return;
        if (act === 'destroy-socket') {
          request.socket.destroy();
          return;
        }
        if (act === 'http-500') {
          response.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
          return;
        }
        if (act === 'drip') {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
          for (let i = 0; i < 100 && !response.destroyed; i++) {
            response.write(' ');
            await wait(100);
          }
          response.destroy();
          return;
        }
        if (act === 'cut-body') {
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
          response.write('{"apiVersion":');
          setTimeout(() => request.socket.destroy(), 20);
          return;
        }
        if (act === 'json-array') {
          response.writeHead(200, { 'content-type': 'application/json' }).end('[1,2,3]');
          return;
        }
        if (act === 'non-json') {
          response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>ok</body></html>');
          return;
        }
        const uid = act === 'wrong-uid' ? randomUUID() : review.request?.uid;
        const reason = denial(review.request?.object);
        const answer = {
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid,
            allowed: reason === undefined,
            ...(reason === undefined ? {} : { status: { code: 403, reason: 'Forbidden', message: reason } }),
            ...(act === 'patch'
              ? { patchType: 'JSONPatch', patch: Buffer.from('[]').toString('base64') }
              : {}),
          },
        };
        const body = `${act === 'huge' ? ' '.repeat(9 * 2 ** 20) : ''}${JSON.stringify(answer)}`;
        response
          .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
          .end(body);
      });
    },
  );
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // TLS failures on the client side surface here; they are the test's subject, not the server's error
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/validate-machine`,
    port,
    requests: () => count,
    resetDelays: () => {
      delays.length = 0;
    },
    medianDelayUs: () => {
      const sorted = [...delays].sort((a, b) => a - b);
      return sorted.length === 0 ? 0 : (sorted[Math.floor(sorted.length / 2)] as number);
    },
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Machines with the given spec.memory each (negative ones are denied), as review sources. */
export function machineSources(memories: number[] = [1024]): ReviewSource[] {
  return memories.map((memory, index) => {
    const object: KubeObject = {
      apiVersion: 'vitistack.io/v1alpha1',
      kind: 'Machine',
      metadata: { name: `m-${index}`, namespace: 'default', labels: {} },
      spec: { memory },
    };
    return { object, resource: resourceInfo(object, 'machines', true) };
  });
}

/** CREATE reviews of those Machines, no dry run. */
export function machineReviews(memories?: number[]): ReviewFactory {
  return new ReviewFactory(machineSources(memories), {
    operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
    dryRunShare: 0,
  });
}

/**
 * For a test file: certificates made once (beforeAll), servers started on demand with them, all
 * closed and removed afterwards. Vitest's hooks are passed in so the bench can import this module.
 */
export function useWebhookServers(hooks: {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}): {
  certs(): WebhookCerts;
  server(options?: Partial<WebhookServerOptions>): Promise<WebhookServer>;
} {
  let dir: string | undefined;
  let certs: WebhookCerts | undefined;
  const servers: WebhookServer[] = [];
  hooks.beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vitictl-webhook-'));
    certs = await makeWebhookCerts(dir);
  });
  hooks.afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const ready = () => {
    if (!certs) throw new Error('webhook certificates are made in beforeAll');
    return certs;
  };
  return {
    certs: ready,
    server: async (options = {}) => {
      const started = await startWebhookServer({ cert: ready().cert, key: ready().key, ...options });
      servers.push(started);
      return started;
    },
  };
}

// As a child process (the bench): options as JSON in argv[2], the port sent back over IPC, so the
// server's CPU is not the generator's.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as WebhookServerOptions;
  const server = await startWebhookServer(options);
  process.send?.({ port: server.port });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stats') process.send?.({ type: 'stats', medianDelayUs: server.medianDelayUs() });
    if (message.type === 'reset') server.resetDelays();
  });
  process.on('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
}
