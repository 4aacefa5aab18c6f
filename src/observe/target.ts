import { Agent, request } from 'undici';
import { inputError, runtimeError, usageError, type VitictlError } from '../errors.js';
import type { KubeConnection } from '../kube/connect.js';
import {
  KubeRest,
  NetworkError,
  type NetworkFailure,
  type RawResponse,
  type RestResponse,
  type ThreadRequest,
  unreachable,
} from '../kube/rest.js';
import { InterruptibleTransport } from '../util/interruptible-transport.js';
import { bodyDeadline, readBodyBounded, TooLargeError } from '../util/read-bounded.js';
import { MiB, readBoundedFile } from '../util/read-input.js';
import { redactUrl } from '../util/redact-url.js';

/**
 * Where metrics and profiles come from: a URL, or pods and services reached through the API server's
 * proxy (authenticated with the kubeconfig, TLS verified), one target per replica for a selector.
 */
export interface Target {
  /** for reports: the URL (credentials redacted), or pod/NS/NAME:PORT */
  name: string;
  /** for messages: where a path on this target is (credentials redacted) */
  where(path: string): string;
  /**
   * GET a path on the target (e.g. /metrics, /debug/pprof/heap); never throws on HTTP status. A body
   * past `limit` is bad input naming the URL (the rest of it is never read).
   */
  get(path: string, init: GetInit): Promise<RawResponse>;
  /** the same GET as get() sends, for a thread of its own to send (a scrape beside a load) */
  threadRequest(path: string): ThreadRequest;
  /** the error get() would have thrown for a request of `path` that got no HTTP answer */
  unreachable(path: string, error: unknown): NetworkError;
  /** the path given with the target (a URL's path), or undefined */
  defaultPath: string | undefined;
  close(): Promise<void>;
}

/** The most of a response body a caller reads, and how its user raises that ("--max-profile-size MiB"). */
export interface BodyLimit {
  maxBytes: number;
  hint: string;
}

export interface GetInit {
  limit: BodyLimit;
  timeoutMs?: number;
  accept?: string;
  signal?: AbortSignal;
}

/** A body past its limit: exit 2 naming where it came from, what was seen, and how to raise the limit. */
export function responseTooLarge(where: string, error: TooLargeError, limit: BodyLimit): VitictlError {
  return inputError(`the response is ${error.message}`, { location: { url: where }, hint: limit.hint });
}

export interface TargetOptions {
  /** -n: namespace of pod/service targets */
  namespace: string;
  /** -l: every pod matching, with --port */
  selector?: string | undefined;
  port?: number | undefined;
  /** URL targets: a CA file to verify against */
  ca?: string | undefined;
  /** URL targets: a file holding a bearer token (secure metrics endpoints); never printed */
  bearerTokenFile?: string | undefined;
  insecureSkipTlsVerify?: boolean;
  /** needed for pod/service/selector targets */
  connect?: () => Promise<KubeConnection>;
  onWarning?: (message: string) => void;
}

const KUBE_TARGET =
  /^(pod|pods|po|service|services|svc)\/([a-z0-9][-a-z0-9.]*)(?::(https?):)?(?::?(\d+|[a-z][-a-z0-9]*))?$/;

const TARGET_HINTS: Record<NetworkFailure, string> = {
  refused: 'nothing listens there: check the host and port (is the controller running, is this its port?)',
  reset: 'the connection was dropped: is this an http(s) endpoint, and the right scheme?',
  timeout: 'no answer in time: check the address and the network path to the target',
  tls: 'TLS verification failed: pass --ca with the CA that signed its certificate, put the name the certificate is for in the URL, or pass --insecure-skip-tls-verify (not verified, warns)',
  dns: 'the host name does not resolve: check the URL',
  other: 'check the URL',
};

async function urlTarget(spec: string, options: TargetOptions): Promise<Target> {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw inputError(`"${redactUrl(spec)}" is not a URL, pod/NAME:PORT or service/NAME:PORT`, {
      hint: 'e.g. http://127.0.0.1:8080/metrics, pod/operator-0:8080, or -l app=operator --port 8080',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw inputError(`unsupported scheme ${url.protocol} in ${redactUrl(spec)}`);
  if (options.insecureSkipTlsVerify)
    options.onWarning?.(`TLS verification is OFF for ${url.origin} (--insecure-skip-tls-verify)`);
  // a CA bundle or a token is a few KB; a device or a wrong file must not be read whole
  const ca = options.ca ? await readBoundedFile(options.ca, 'CA file', MiB) : undefined;
  const token = options.bearerTokenFile
    ? (await readBoundedFile(options.bearerTokenFile, 'token file', MiB)).toString('utf8').trim()
    : undefined;
  const rejectUnauthorized = options.insecureSkipTlsVerify !== true;
  const transport = new InterruptibleTransport({ ...(ca ? { ca } : {}), rejectUnauthorized });
  const agent = new Agent({ connect: transport.connect });
  const origin = url.origin;
  const authorization = token
    ? `Bearer ${token}`
    : url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined;
  const headers: Record<string, string> = {
    'accept-encoding': 'gzip',
    ...(authorization ? { authorization } : {}),
  };
  const unreachableAt = (path: string, error: unknown) =>
    new NetworkError(error, { what: 'the target', url: `${origin}${path}`, hints: TARGET_HINTS });
  return {
    name: redactUrl(url.href),
    where: (path) => redactUrl(`${origin}${path}`),
    defaultPath: url.pathname === '/' ? undefined : `${url.pathname}${url.search}`,
    threadRequest: (path) => ({
      url: `${origin}${path}`,
      headers,
      tls: { ...(ca ? { ca: [ca.toString('latin1')] } : {}), rejectUnauthorized },
    }),
    unreachable: unreachableAt,
    async get(path, init) {
      const deadline = bodyDeadline(init.timeoutMs ?? 30_000);
      try {
        const response = await transport.settledAtAbort(
          request(`${origin}${path}`, {
            dispatcher: agent,
            headers: { accept: init.accept ?? '*/*', ...headers },
            headersTimeout: init.timeoutMs ?? 30_000,
            bodyTimeout: init.timeoutMs ?? 30_000,
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
            init.limit.maxBytes,
            deadline,
          ),
        };
      } catch (error) {
        if (error instanceof TooLargeError)
          throw responseTooLarge(redactUrl(`${origin}${path}`), error, init.limit);
        throw unreachableAt(path, error);
      }
    },
    close: () => transport.close(agent),
  };
}

function proxyTarget(
  rest: KubeRest,
  kind: 'pods' | 'services',
  namespace: string,
  name: string,
  scheme: string | undefined,
  port: string | number,
): Target {
  const ref = `${scheme ? `${scheme}:` : ''}${name}:${port}`;
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(ref)}/proxy`;
  return restTarget(rest, base, `${kind === 'pods' ? 'pod' : 'service'}/${namespace}/${name}:${port}`);
}

/** The API server itself (its /metrics) with the kubeconfig's credentials and TLS; the caller closes `rest`. */
export function apiServerTarget(rest: KubeRest): Target {
  return restTarget(rest, '', rest.server);
}

function restTarget(rest: KubeRest, base: string, display: string): Target {
  return {
    name: display,
    where: (path) => `${display}${path}`,
    defaultPath: undefined,
    threadRequest: (path) => rest.threadRequest(`${base}${path}`),
    unreachable: (_path, error) => unreachable(rest.server, error),
    get: (path, { limit, ...init }) =>
      rest.getRaw(`${base}${path}`, { ...init, maxBytes: limit.maxBytes }).catch((error: unknown) => {
        throw error instanceof TooLargeError ? responseTooLarge(`${display}${path}`, error, limit) : error;
      }),
    close: async () => undefined,
  };
}

/** Resolve a target argument (and -l) into one or more targets. */
export async function resolveTargets(spec: string | undefined, options: TargetOptions): Promise<Target[]> {
  if (spec && /^https?:\/\//.test(spec)) return [await urlTarget(spec, options)];
  if (!spec && !options.selector)
    throw usageError(
      'a target is required: a URL, pod/NAME:PORT, service/NAME:PORT, or -l SELECTOR --port PORT',
    );
  if (!options.connect) throw runtimeError('pod and service targets need a cluster connection');
  const connection = await options.connect();
  const rest = await KubeRest.create(connection, { connections: 8 });
  const closeRest = { close: () => rest.close() };
  if (options.selector) {
    if (!options.port) throw inputError('-l SELECTOR needs --port PORT (the metrics or pprof port)');
    let response: RestResponse;
    try {
      response = await rest.request(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods?labelSelector=${encodeURIComponent(options.selector)}`,
      );
    } catch (error) {
      await rest.close();
      throw error;
    }
    const pods = (
      (response.body as { items?: Array<{ metadata: { name: string }; status?: { phase?: string } }> })
        .items ?? []
    ).filter((pod) => pod.status?.phase === 'Running');
    if (pods.length === 0) {
      await rest.close();
      throw inputError(`no running pods match -l ${options.selector} in namespace ${options.namespace}`);
    }
    const targets = pods.map((pod) =>
      proxyTarget(rest, 'pods', options.namespace, pod.metadata.name, undefined, options.port as number),
    );
    targets[0] = { ...targets[0]!, close: closeRest.close };
    return targets;
  }
  const match = KUBE_TARGET.exec(spec ?? '');
  if (!match) {
    await rest.close();
    throw inputError(`"${redactUrl(spec ?? '')}" is not a URL, pod/NAME:PORT or service/NAME:PORT`, {
      hint: 'e.g. http://127.0.0.1:8080/metrics or pod/operator-0:8080',
    });
  }
  const kind = match[1]!.startsWith('s') ? 'services' : 'pods';
  const port = match[4] ?? options.port;
  if (port === undefined) {
    await rest.close();
    throw inputError(`${spec}: which port? write ${match[1]}/${match[2]}:PORT or pass --port`);
  }
  return [
    { ...proxyTarget(rest, kind, options.namespace, match[2]!, match[3], port), close: closeRest.close },
  ];
}

/** Describe a failed GET in one line (used by metrics and pprof). */
export function describeFetchFailure(target: Target, path: string, error: unknown): string {
  if (error instanceof NetworkError)
    return `${target.where(path)}: ${error.failure} (${error.code}) ${error.detail}`.trim();
  return `${target.where(path)}: ${error instanceof Error ? error.message : String(error)}`;
}
