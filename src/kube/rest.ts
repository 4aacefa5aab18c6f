import type { RequestOptions } from 'node:https';
import { Pool } from 'undici';
import { runtimeError } from '../errors.js';
import type { KubeConnection } from './connect.js';

export interface RestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** parsed JSON when the body is JSON */
  body: unknown;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface RequestInit {
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  contentType?: string;
}

/** Network-level failure classes we count and decide retries on. */
export type NetworkFailure = 'refused' | 'reset' | 'timeout' | 'tls' | 'dns' | 'other';

export class NetworkError extends Error {
  constructor(
    readonly failure: NetworkFailure,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|TLS|SSL/;

export function classifyNetworkError(error: unknown): NetworkError {
  const err = error as {
    code?: string;
    cause?: { code?: string; message?: string };
    message?: string;
    name?: string;
  };
  const code = err.code ?? err.cause?.code ?? err.name ?? 'ERROR';
  const message = err.cause?.message ?? err.message ?? String(error);
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
  return new NetworkError(failure, code, message);
}

/**
 * A small Kubernetes REST client on undici: the kubeconfig's TLS and credentials, a connection pool,
 * JSON in and out, streaming for watches. It never retries; callers decide (and count) retries.
 */
export class KubeRest {
  private constructor(
    private readonly pool: Pool,
    private headers: Record<string, string>,
    private readonly connection: KubeConnection,
    readonly server: string,
    readonly insecure: boolean,
  ) {}

  static async create(connection: KubeConnection, options: { connections?: number } = {}): Promise<KubeRest> {
    const tls: RequestOptions = {};
    await connection.config.applyToHTTPSOptions(tls);
    const server = connection.server.replace(/\/+$/, '');
    const url = new URL(server);
    const insecure = tls.rejectUnauthorized === false;
    const pool = new Pool(url.origin, {
      connections: options.connections ?? 64,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: {
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        rejectUnauthorized: !insecure,
        ...(url.hostname && !/^[\d.:]+$/.test(url.hostname) ? { servername: url.hostname } : {}),
      },
    });
    return new KubeRest(pool, KubeRest.authHeaders(tls), connection, server, insecure);
  }

  private static authHeaders(tls: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(tls.headers ?? {})) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
    return headers;
  }

  /** Re-read credentials (exec plugins and OIDC tokens expire during long runs). */
  async refreshCredentials(): Promise<void> {
    const tls: RequestOptions = {};
    await this.connection.config.applyToHTTPSOptions(tls);
    this.headers = KubeRest.authHeaders(tls);
  }

  /** A GET whose body is returned as bytes (metrics, profiles through the API server's proxy). */
  async getRaw(
    path: string,
    init: { timeoutMs?: number; accept?: string; signal?: AbortSignal } = {},
  ): Promise<RawResponse> {
    try {
      const response = await this.pool.request({
        method: 'GET',
        path,
        headers: { ...this.headers, accept: init.accept ?? '*/*' },
        headersTimeout: init.timeoutMs ?? 60_000,
        bodyTimeout: init.timeoutMs ?? 60_000,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: Buffer.from(await response.body.arrayBuffer()),
      };
    } catch (error) {
      throw classifyNetworkError(error);
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
      const response = await this.pool.request({
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
      });
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
      throw classifyNetworkError(error);
    }
  }

  /**
   * A streaming GET (watch): calls onLine for every newline-delimited JSON line until the server ends
   * the stream or `signal` aborts. Resolves with the HTTP status (non-200 bodies are passed as one line).
   */
  async stream(
    path: string,
    onLine: (line: string) => void,
    signal: AbortSignal,
    onOpen?: (status: number) => void,
  ): Promise<number> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.pool.request({
        method: 'GET',
        path,
        headers: { ...this.headers, accept: 'application/json' },
        headersTimeout: 30_000,
        bodyTimeout: 0,
        signal,
      });
    } catch (error) {
      throw classifyNetworkError(error);
    }
    onOpen?.(response.statusCode);
    let pending = '';
    try {
      for await (const chunk of response.body) {
        pending += (chunk as Buffer).toString('utf8');
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() !== '') onLine(line);
          newline = pending.indexOf('\n');
        }
      }
      if (pending.trim() !== '') onLine(pending);
    } catch (error) {
      if (signal.aborted) return response.statusCode;
      throw classifyNetworkError(error);
    }
    return response.statusCode;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** One-line description of a failed call, with the API server's own message when there is one. */
export function statusMessage(response: RestResponse): string {
  const body = response.body as { message?: string; reason?: string } | string | undefined;
  if (body && typeof body === 'object' && body.message) return body.message;
  if (typeof body === 'string' && body.trim() !== '') return body.trim().split('\n')[0] ?? '';
  return `HTTP ${response.status}`;
}

export function unreachable(server: string, error: NetworkError) {
  const hints: Record<NetworkFailure, string> = {
    refused: 'is the API server running? (vitictl lab status, or check --kubeconfig/--context)',
    reset: 'the connection was dropped; check the server and any proxy in between',
    timeout: 'the server did not answer in time; check the address and network',
    tls: 'TLS verification failed: check the CA in the kubeconfig (verification stays on by default)',
    dns: 'the host name does not resolve; check the server address in the kubeconfig',
    other: 'check the server address in the kubeconfig',
  };
  return runtimeError(`cannot reach the API server at ${server}: ${error.code} ${error.message}`.trim(), {
    hint: hints[error.failure],
  });
}
