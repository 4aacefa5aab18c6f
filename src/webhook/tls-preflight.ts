import { request } from 'node:http';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { inputError, interruptedError, runtimeError, type VitictlError } from '../errors.js';
import { type Checked, checkResponse, MAX_ANSWER_BYTES, type WebhookType } from './check-response.js';
import {
  displayUrl,
  hostOf,
  portOf,
  requestPath,
  sniName,
  tlsOptions,
  type WebhookTarget,
} from './target.js';

export interface PeerSummary {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  subjectAltName: string;
}

export interface PreflightResult {
  verified: boolean;
  /** the name checked against the certificate (SNI), or the IP when none */
  serverName: string;
  protocol: string;
  cipher: string;
  alpn: string;
  peer: PeerSummary;
  handshakeMs: number;
  review: { status: number; latencyMs: number; checked: Checked };
  warnings: string[];
}

export interface ProbeReview {
  uid: string;
  body: string;
}

function summarizePeer(cert: PeerCertificate | undefined): PeerSummary {
  const name = (fields: unknown) => {
    const record = (fields ?? {}) as Record<string, string | string[]>;
    const cn = record.CN;
    return cn === undefined ? '' : `CN=${Array.isArray(cn) ? cn.join(',') : cn}`;
  };
  return {
    subject: name(cert?.subject),
    issuer: name(cert?.issuer),
    validFrom: cert?.valid_from ? new Date(cert.valid_from).toISOString() : '',
    validTo: cert?.valid_to ? new Date(cert.valid_to).toISOString() : '',
    subjectAltName: cert?.subjectaltname ?? '',
  };
}

/** Calls `stop` when `signal` aborts (now, if it has); the returned function stops listening. */
function onInterrupt(signal: AbortSignal | undefined, stop: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  return () => signal.removeEventListener('abort', stop);
}

const interrupted = () => Object.assign(new Error('interrupted'), { code: 'ABORT_ERR' });

function handshake(
  target: WebhookTarget,
  insecure: boolean,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    try {
      socket = connect({
        host: hostOf(target.url),
        port: portOf(target.url),
        ...tlsOptions({ ...target, insecure }),
      });
    } catch (error) {
      reject(error);
      return;
    }
    const timer = setTimeout(
      () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const listening = onInterrupt(signal, () => socket.destroy(interrupted()));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      listening();
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      listening();
      reject(error);
    });
  });
}

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** One line and a hint for a failed connection; the peer's certificate is read without trust for detail. */
async function describeFailure(
  target: WebhookTarget,
  error: unknown,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<VitictlError> {
  const err = error as { code?: string; message?: string };
  const code = err.code ?? '';
  const where = `${hostOf(target.url)}:${portOf(target.url)}`;
  const url = displayUrl(target.url);
  const location = { url };
  const serviceHint =
    'is the webhook running on that port? For a webhook behind a Service: kubectl port-forward, then --url https://127.0.0.1:PORT/PATH --server-name SVC.NAMESPACE.svc';
  if (code === 'ECONNREFUSED')
    return runtimeError(`cannot connect to the webhook at ${where}: connection refused`, {
      hint: serviceHint,
    });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return runtimeError(`cannot connect to the webhook: host name ${hostOf(target.url)} does not resolve`, {
      hint: 'check the host in --url',
    });
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return runtimeError(
      `cannot connect to the webhook at ${where}: ${code === 'ETIMEDOUT' ? `no TLS handshake within ${timeoutMs / 1000}s` : code}`,
      {
        hint: serviceHint,
      },
    );
  if (/KEY_VALUES_MISMATCH/.test(code))
    return inputError('--cert and --key do not belong together', {
      hint: 'pass the key of that client certificate',
    });
  if (/CERTIFICATE_REQUIRED/.test(code))
    return runtimeError(`the webhook at ${where} requires a client certificate`, {
      hint: 'pass --cert FILE --key FILE',
    });
  if (
    code === 'ECONNRESET' ||
    code === 'EPROTO' ||
    /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(code + (err.message ?? ''))
  ) {
    return runtimeError(`no TLS handshake with ${where}: ${code || err.message}`, {
      hint: 'is it a TLS (https) port? does it require a client certificate (--cert/--key)?',
    });
  }
  let peer: PeerSummary | undefined;
  try {
    const socket = await handshake(target, true, timeoutMs, signal);
    peer = summarizePeer(socket.getPeerCertificate());
    socket.destroy();
  } catch {
    peer = undefined;
  }
  const certificate = peer
    ? `the webhook's certificate (${peer.subject || 'no CN'}, issued by ${peer.issuer || 'unknown'})`
    : "the webhook's certificate";
  if (UNTRUSTED.has(code)) {
    return inputError(`${certificate} is not signed by the CA from ${target.caOrigin} (${code})`, {
      location,
      hint: "pass the CA that signed it with --ca FILE (the webhook configuration's caBundle); --insecure-skip-tls-verify only for a throwaway test",
    });
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return runtimeError(`${certificate} expired on ${peer?.validTo || 'an earlier date'}`, {
      hint: 'the API server rejects it too: renew the serving certificate (cert-manager: check the Certificate)',
    });
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return runtimeError(`${certificate} is not valid before ${peer?.validFrom || 'a later date'}`, {
      hint: "check this machine's clock and the webhook's",
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const name = sniName(target) ?? hostOf(target.url);
    return inputError(`${certificate} is for ${peer?.subjectAltName || 'other names'}, not "${name}"`, {
      location,
      hint: 'the API server checks the name SVC.NAMESPACE.svc (service) or the URL host; pass the name the certificate was issued for with --server-name NAME',
    });
  }
  return runtimeError(
    `TLS connection to ${where} failed: ${code || ''} ${err.message ?? String(error)}`.trim(),
    {
      hint: 'check --url, --ca and --server-name',
    },
  );
}

interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
  /** more than MAX_ANSWER_BYTES: the answer was cut off there */
  tooLarge: boolean;
}

function post(
  socket: TLSSocket,
  target: WebhookTarget,
  path: string,
  body: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostOf(target.url),
        port: portOf(target.url),
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, */*',
          'content-length': Buffer.byteLength(body),
        },
        createConnection: () => socket,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const settle = (tooLarge: boolean) => {
          clearTimeout(timer);
          listening();
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
            tooLarge,
          });
        };
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ANSWER_BYTES) return void chunks.push(chunk);
          chunks.length = 0;
          settle(true);
          req.destroy();
        });
        response.on('end', () => settle(false));
        response.on('error', (error) => {
          clearTimeout(timer);
          listening();
          reject(error);
        });
      },
    );
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      timeoutMs,
    );
    const listening = onInterrupt(signal, () => req.destroy(interrupted()));
    req.on('error', (error) => {
      clearTimeout(timer);
      listening();
      reject(error);
    });
    req.end(body);
  });
}

function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}

/**
 * One TLS connection, verified like the API server does it (CA, name, validity), and one
 * AdmissionReview over it, before any load. Throws a one-line VitictlError for what makes a run
 * meaningless (unreachable, TLS, HTTP errors, non-JSON); what the API server would reject in a
 * well-formed answer (uid, patch) is returned as a warning and counted by the run. An interrupt ends
 * it at once: nothing was measured.
 */
export async function tlsPreflight(
  target: WebhookTarget,
  type: WebhookType,
  review: ProbeReview,
  timeoutSeconds: number,
  signal?: AbortSignal,
): Promise<PreflightResult> {
  const stopped = () =>
    signal?.aborted
      ? interruptedError('interrupted during the preflight: nothing was measured', signal)
      : undefined;
  const timeoutMs = timeoutSeconds * 1000;
  const started = performance.now();
  let socket: TLSSocket;
  try {
    socket = await handshake(target, target.insecure, timeoutMs, signal);
  } catch (error) {
    const failure = stopped() ?? (await describeFailure(target, error, timeoutMs, signal));
    throw stopped() ?? failure;
  }
  const handshakeMs = performance.now() - started;
  const warnings: string[] = [];
  const peer = summarizePeer(socket.getPeerCertificate());
  const cipher = socket.getCipher();
  const protocol = socket.getProtocol() ?? '';
  const alpn = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : '';
  const serverName = sniName(target) ?? hostOf(target.url);
  if (target.insecure) {
    const verdict = socket.authorized
      ? 'it would have passed verification'
      : `the API server would reject it: ${String(socket.authorizationError)}`;
    warnings.push(
      `TLS verification is OFF (--insecure-skip-tls-verify): the webhook's certificate was not checked (${verdict}); the result records this`,
    );
  }
  if (peer.validTo !== '') {
    const days = (Date.parse(peer.validTo) - Date.now()) / 86_400_000;
    if (days >= 0 && days < 7)
      warnings.push(`the webhook's certificate expires in ${days.toFixed(1)} days (${peer.validTo})`);
  }
  const path = requestPath(target.url, timeoutSeconds);
  const sent = performance.now();
  let answer: RawAnswer;
  try {
    answer = await post(socket, target, path, review.body, timeoutMs, signal);
  } catch (error) {
    socket.destroy();
    const interruption = stopped();
    if (interruption) throw interruption;
    const code = (error as { code?: string }).code ?? '';
    throw runtimeError(
      code === 'ETIMEDOUT'
        ? `the webhook did not answer the preflight AdmissionReview within ${timeoutSeconds}s`
        : `the webhook closed the connection without answering the preflight AdmissionReview (${code || (error as Error).message})`,
      { hint: 'check the path in --url and the webhook logs' },
    );
  }
  const latencyMs = performance.now() - sent;
  socket.destroy();
  const url = displayUrl(target.url);
  if (answer.status < 200 || answer.status > 206) {
    throw runtimeError(
      `the webhook answered HTTP ${answer.status} to the preflight AdmissionReview at ${url}${answer.body ? `: ${snippet(answer.body)}` : ''}`,
      {
        hint:
          answer.status === 404 || answer.status === 405
            ? 'check the path in --url (e.g. /validate-machine)'
            : 'check the webhook logs',
      },
    );
  }
  if (answer.tooLarge) {
    throw runtimeError(
      `the webhook answered more than ${MAX_ANSWER_BYTES / 2 ** 20} MiB to the preflight AdmissionReview at ${url}`,
      { hint: 'an AdmissionReview answer is a uid, a verdict and at most a patch: check the webhook' },
    );
  }
  const checked = checkResponse(review.uid, type, answer.status, answer.body);
  const notJson = checked.reason === 'body is not JSON';
  if (
    checked.class === 'wouldFail' &&
    (notJson || checked.reason === 'body is not an AdmissionReview object')
  ) {
    throw runtimeError(
      `the webhook answered ${notJson ? 'non-JSON' : 'JSON that is not an AdmissionReview object'}${answer.contentType ? ` (${answer.contentType})` : ''} to the preflight AdmissionReview: "${snippet(answer.body)}"`,
      { hint: "is --url the webhook's path? The API server would reject this answer" },
    );
  }
  if (checked.class === 'wouldFail') {
    warnings.push(
      `the preflight answer would fail in the API server: ${checked.reason}; the run counts every such answer`,
    );
  }
  return {
    verified: !target.insecure,
    serverName,
    protocol,
    cipher: cipher?.name ?? '',
    alpn,
    peer,
    handshakeMs,
    review: { status: answer.status, latencyMs, checked },
    warnings,
  };
}
