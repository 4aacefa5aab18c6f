import type { RequestOptions } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import { Pool } from 'undici';
import { inputError, runtimeError, VitictlError } from '../errors.js';
import { InterruptibleTransport } from '../util/interruptible-transport.js';
import { bodyDeadline, readBodyBounded, TooLargeError } from '../util/read-bounded.js';
import { redactUrl } from '../util/redact-url.js';
import { packageVersion } from '../util/version.js';
import type { KubeConnection } from './connect.js';

/** "vitictl/0.4.0 (linux/x64) node/22.1.0": the shape of kubectl's */
const userAgent = () =>
  `vitictl/${packageVersion()} (${process.platform}/${process.arch}) node/${process.versions.node}`;

export interface RestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** parsed JSON when the body is JSON */
  body: unknown;
}

/**
 * What another thread needs to send a request as a client does: the URL, the TLS material and the
 * headers. It holds credentials (a token, a client key): it crosses threads and is never printed.
 */
export interface ThreadRequest {
  url: string;
  headers: Record<string, string>;
  tls: {
    ca?: string[];
    cert?: string[];
    key?: string[];
    rejectUnauthorized: boolean;
    servername?: string;
  };
}

/** PEM material as text: a Buffer would reach another thread as a bare Uint8Array. */
function pemTexts(value: RequestOptions['ca'] | RequestOptions['key']): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map((part: string | Buffer | { pem: string | Buffer }) => {
    const pem = typeof part === 'string' || Buffer.isBuffer(part) ? part : part.pem;
    return typeof pem === 'string' ? pem : pem.toString('latin1');
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

type PoolResponse = Awaited<ReturnType<Pool['request']>>;

/**
 * The kubeconfig's TLS material and credentials for the current context (an exec plugin runs here).
 * A kubeconfig client-node refuses is bad input naming the server, not an internal error.
 */
async function credentialsOf(connection: KubeConnection): Promise<RequestOptions> {
  const tls: RequestOptions = {};
  try {
    await connection.config.applyToHTTPSOptions(tls);
  } catch (error) {
    const server = redactUrl(connection.server);
    if (connection.server.startsWith('http:'))
      throw inputError(`the kubeconfig's server ${server} is plain HTTP, which is refused without TLS`, {
        hint: 'use the https:// address of the API server, or set insecure-skip-tls-verify: true on the cluster in the kubeconfig (not for a real cluster)',
      });
    throw runtimeError(
      `cannot get credentials for ${server} from the kubeconfig: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: "check the context's user (exec plugin, token file, client certificate and key), or --kubeconfig/--context",
      },
    );
  }
  return tls;
}

export interface RequestInit {
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  contentType?: string;
}

/** Network-level failure classes we count and decide retries on. */
export type NetworkFailure = 'refused' | 'reset' | 'timeout' | 'tls' | 'dns' | 'other';

export interface ClassifiedFailure {
  failure: NetworkFailure;
  /** ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, UNABLE_TO_VERIFY_LEAF_SIGNATURE, … */
  code: string;
  /** the underlying message, e.g. "connect ECONNREFUSED 127.0.0.1:6443" */
  detail: string;
}

/** What could not be reached, for the one-line error: "the API server" at a URL (redacted when shown). */
export interface Endpoint {
  what: string;
  url: string;
  hints: Record<NetworkFailure, string>;
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL/;

export function classifyNetworkError(error: unknown): ClassifiedFailure {
  if (error instanceof NetworkError)
    return { failure: error.failure, code: error.code, detail: error.detail };
  const err = error as {
    code?: string;
    cause?: { code?: string; message?: string };
    message?: string;
    name?: string;
  };
  const code = err.code ?? err.cause?.code ?? err.name ?? 'ERROR';
  const detail = err.cause?.message ?? err.message ?? String(error);
  let failure: NetworkFailure = 'other';
  if (code === 'ECONNREFUSED') failure = 'refused';
  else if (
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_CLOSED'
  )
    failure = 'reset';
  else if (/TIMEOUT/.test(code) || code === 'ETIMEDOUT' || code === 'AbortError') failure = 'timeout';
  else if (TLS_CODES.test(code)) failure = 'tls';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') failure = 'dns';
  return { failure, code, detail };
}

/**
 * A request that got no HTTP answer. It is a runtime error naming the endpoint (credentials in its URL
 * redacted) with a hint, so a caller that does not retry can let it reach the error boundary as is.
 */
export class NetworkError extends VitictlError {
  readonly failure: NetworkFailure;
  readonly code: string;
  readonly detail: string;

  constructor(error: unknown, endpoint: Endpoint) {
    const { failure, code, detail } = classifyNetworkError(error);
    const said = detail.includes(code) ? detail : `${code} ${detail}`;
    super('runtime', `cannot reach ${endpoint.what} at ${redactUrl(endpoint.url)}: ${said}`.trim(), {
      hint: endpoint.hints[failure],
      cause: error,
    });
    this.name = 'NetworkError';
    this.failure = failure;
    this.code = code;
    this.detail = detail;
  }
}

const API_SERVER_HINTS: Record<NetworkFailure, string> = {
  refused: 'is the cluster up? (vitictl lab status), or check --kubeconfig/--context',
  reset: 'the connection was dropped; check the server and any proxy in between, or --kubeconfig/--context',
  timeout: 'the server did not answer in time; is the cluster up? check the address, --kubeconfig/--context',
  tls: 'TLS failed: check the CA in the kubeconfig (verification stays on) and its client certificate and key, or --kubeconfig/--context',
  dns: 'the host name does not resolve; check the server address in the kubeconfig, or --kubeconfig/--context',
  other: 'is the cluster up? check the server address in the kubeconfig, or --kubeconfig/--context',
};

/** The API server gave no answer: the one-line runtime error naming it, whatever the failure was. */
export function unreachable(server: string, error: unknown): NetworkError {
  return new NetworkError(error, { what: 'the API server', url: server, hints: API_SERVER_HINTS });
}

/**
 * A small Kubernetes REST client on undici: the kubeconfig's TLS and credentials, a connection pool,
 * JSON in and out, streaming for watches. It never retries; callers decide (and count) retries.
 */
export class KubeRest {
  private constructor(
    private readonly pool: Pool,
    /** answers a request at its abort, and closes the pool without waiting for those */
    private readonly transport: InterruptibleTransport,
    private headers: Record<string, string>,
    private readonly connection: KubeConnection,
    /** a request's TLS, for threadRequest */
    private readonly tls: ThreadRequest['tls'],
    private readonly origin: string,
    /** for messages and results: the server URL, credentials redacted */
    readonly server: string,
    readonly insecure: boolean,
    /** the most connections the pool opens (null: no bound); a watch holds one for as long as it runs */
    readonly connections: number | null,
  ) {}

  static async create(
    connection: KubeConnection,
    options: { connections?: number | null } = {},
  ): Promise<KubeRest> {
    const tls = await credentialsOf(connection);
    const server = connection.server.replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw inputError(`the kubeconfig's server is not a URL: "${redactUrl(server)}"`, {
        hint: 'check clusters[].cluster.server in the kubeconfig, or --kubeconfig/--context',
      });
    }
    const insecure = tls.rejectUnauthorized === false;
    const connections = options.connections ?? 64;
    // one context for every connection: built per connection, parsing the CA, certificate and key
    // held the event loop 5–40 ms each time the pool grew during a load
    let secureContext: SecureContext;
    try {
      secureContext = createSecureContext({
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
      });
    } catch (error) {
      throw inputError(
        `the kubeconfig's TLS material for ${redactUrl(server)} cannot be used: ${(error as Error).message}`,
        {
          hint: 'check certificate-authority(-data), client-certificate(-data) and client-key(-data) in the kubeconfig, or --kubeconfig/--context',
        },
      );
    }
    const servername = url.hostname && !/^[\d.:]+$/.test(url.hostname) ? url.hostname : undefined;
    const transport = new InterruptibleTransport({
      secureContext,
      rejectUnauthorized: !insecure,
      ...(servername ? { servername } : {}),
    });
    const pool = new Pool(url.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: transport.connect,
    });
    const material = { ca: pemTexts(tls.ca), cert: pemTexts(tls.cert), key: pemTexts(tls.key) };
    return new KubeRest(
      pool,
      transport,
      KubeRest.authHeaders(tls),
      connection,
      {
        ...(material.ca ? { ca: material.ca } : {}),
        ...(material.cert ? { cert: material.cert } : {}),
        ...(material.key ? { key: material.key } : {}),
        rejectUnauthorized: !insecure,
        ...(servername ? { servername } : {}),
      },
      url.origin,
      redactUrl(server),
      insecure,
      connections,
    );
  }

  private static authHeaders(tls: RequestOptions): Record<string, string> {
    // the API server names the field manager of our writes, and the audit log our requests, after it
    const headers: Record<string, string> = { 'user-agent': userAgent() };
    for (const [name, value] of Object.entries(tls.headers ?? {})) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
    return headers;
  }

  /** Re-read credentials (exec plugins and OIDC tokens expire during long runs). */
  async refreshCredentials(): Promise<void> {
    this.headers = KubeRest.authHeaders(await credentialsOf(this.connection));
  }

  /** A GET of `path` as this client would send it now (its current credentials), for another thread to send. */
  threadRequest(path: string): ThreadRequest {
    return { url: `${this.origin}${path}`, headers: { ...this.headers }, tls: this.tls };
  }

  /**
   * A GET whose body is returned as bytes (metrics, profiles through the API server's proxy). A body
   * past `maxBytes` rejects with TooLargeError, unread beyond the limit.
   */
  async getRaw(
    path: string,
    init: { maxBytes: number; timeoutMs?: number; accept?: string; signal?: AbortSignal },
  ): Promise<RawResponse> {
    const timeoutMs = init.timeoutMs ?? 60_000;
    const deadline = bodyDeadline(timeoutMs);
    try {
      const response = await this.transport.settledAtAbort(
        this.pool.request({
          method: 'GET',
          path,
          headers: { ...this.headers, accept: init.accept ?? '*/*' },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          ...(init.signal ? { signal: init.signal } : {}),
        }),
        init.signal,
      );
      return {
        status: response.statusCode,
        headers: response.headers,
        body: await readBodyBounded(
          response.body,
          response.headers['content-length'],
          init.maxBytes,
          deadline,
        ),
      };
    } catch (error) {
      if (error instanceof TooLargeError) throw error;
      throw unreachable(this.server, error);
    }
  }

  async request(method: string, path: string, init: RequestInit = {}): Promise<RestResponse> {
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body);
    try {
      const response = await this.transport.settledAtAbort(
        this.pool.request({
          method: method as 'GET',
          path,
          headers: {
            ...this.headers,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': init.contentType ?? 'application/json' }),
          },
          ...(body === undefined ? {} : { body }),
          headersTimeout: init.timeoutMs ?? 60_000,
          bodyTimeout: init.timeoutMs ?? 60_000,
          ...(init.signal ? { signal: init.signal } : {}),
        }),
        init.signal,
      );
      const text = await response.body.text();
      let parsed: unknown;
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.statusCode, headers: response.headers, body: parsed };
    } catch (error) {
      throw unreachable(this.server, error);
    }
  }

  /**
   * A streaming GET (watch): calls onLine for every newline-delimited JSON line until the server ends
   * the stream or `signal` aborts, with the performance.now() at which the chunk that completed the
   * line was read. Resolves with the HTTP status (non-200 bodies are passed as one line).
   */
  async stream(
    path: string,
    onLine: (line: string, readAt: number) => void,
    signal: AbortSignal,
    onOpen?: (status: number) => void,
  ): Promise<number> {
    let response: PoolResponse;
    try {
      response = await this.transport.settledAtAbort(
        this.pool.request({
          method: 'GET',
          path,
          headers: { ...this.headers, accept: 'application/json' },
          headersTimeout: 30_000,
          bodyTimeout: 0,
          signal,
        }),
        signal,
      );
    } catch (error) {
      throw unreachable(this.server, error);
    }
    onOpen?.(response.statusCode);
    let pending = '';
    try {
      for await (const chunk of response.body) {
        const readAt = performance.now();
        pending += (chunk as Buffer).toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() !== '') onLine(line, readAt);
          newline = pending.indexOf('\n');
        }
      }
      if (pending.trim() !== '') onLine(pending, performance.now());
    } catch (error) {
      if (signal.aborted) return response.statusCode;
      throw unreachable(this.server, error);
    }
    return response.statusCode;
  }

  /**
   * Open up to `count` connections before a timed load, so no TLS handshake lands on the load's first
   * starts: that many GETs of /version at once, each on a connection of its own (pipelining 1). The
   * number answered is returned; a failure, or `signal` aborting, is left to the load's own requests
   * to report.
   */
  async warm(count: number, signal?: AbortSignal): Promise<number> {
    const answers = await Promise.allSettled(
      Array.from({ length: count }, () =>
        this.request('GET', '/version', { timeoutMs: 10_000, ...(signal ? { signal } : {}) }),
      ),
    );
    // the pool marks a connection free a turn after its answer is read: a request sooner opens another
    await new Promise((resolve) => setImmediate(resolve));
    return answers.filter((answer) => answer.status === 'fulfilled' && answer.value.status === 200).length;
  }

  /**
   * Waits for the requests in flight to end, but not for one answered at an interrupt
   * (InterruptibleTransport). A second call returns the first's.
   */
  close(): Promise<void> {
    return this.transport.close(this.pool);
  }
}

/** One-line description of a failed call, with the API server's own message when there is one. */
export function statusMessage(response: RestResponse): string {
  const body = response.body as { message?: string; reason?: string } | string | undefined;
  if (body && typeof body === 'object' && body.message) return body.message;
  if (typeof body === 'string' && body.trim() !== '') return body.trim().split('\n')[0] ?? '';
  return `HTTP ${response.status}`;
}
