import { isIP } from 'node:net';

/** How vitictl reaches the webhook: the API server's TLS settings, never credentials in messages. */
export interface WebhookTarget {
  url: URL;
  /** PEM; undefined: the system roots (as the API server does for an empty caBundle) */
  ca?: string | undefined;
  /** where the CA came from, for messages ("--ca ca.crt", "the caBundle of …") */
  caOrigin: string;
  cert?: string | undefined;
  key?: string | undefined;
  /** SNI and the name the certificate must carry; default: the URL's host when it is a name */
  serverName?: string | undefined;
  insecure: boolean;
}

/** The path the API server calls: the URL's path plus ?timeout=Ns. */
export function requestPath(url: URL, timeoutSeconds: number): string {
  return `${url.pathname || '/'}?timeout=${timeoutSeconds}s`;
}

/** The URL for messages and results: no user info (the API server forbids it anyway). */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

export function portOf(url: URL): number {
  return url.port === '' ? 443 : Number(url.port);
}

/** SNI: --server-name, else the host when it is a DNS name (an IP cannot be sent as SNI). */
export function sniName(target: WebhookTarget): string | undefined {
  if (target.serverName !== undefined) return target.serverName;
  const host = hostOf(target.url);
  return isIP(host) === 0 ? host : undefined;
}

export function tlsOptions(target: WebhookTarget) {
  const servername = sniName(target);
  return {
    ...(target.ca !== undefined ? { ca: target.ca } : {}),
    ...(target.cert !== undefined ? { cert: target.cert } : {}),
    ...(target.key !== undefined ? { key: target.key } : {}),
    ...(servername !== undefined ? { servername } : {}),
    rejectUnauthorized: !target.insecure,
    // the API server speaks HTTP/1.1 only to webhooks
    ALPNProtocols: ['http/1.1'],
  };
}
