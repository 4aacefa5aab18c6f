import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalServers } from '../../test/helpers/local-server.js';
import {
  machineReviews,
  TEST_SERVICE_NAME,
  useWebhookServers,
  type WebhookCerts,
} from '../../test/helpers/webhook-server.js';
import { VitictlError } from '../errors.js';
import type { WebhookTarget } from './target.js';
import { tlsPreflight } from './tls-preflight.js';

const webhooks = useWebhookServers({ beforeAll, afterAll });
const server = webhooks.server;
let certs: WebhookCerts;
beforeAll(() => {
  certs = webhooks.certs();
});

function review() {
  return machineReviews().next();
}

function target(url: string, overrides: Partial<WebhookTarget> = {}): WebhookTarget {
  return {
    url: new URL(url),
    ca: readFileSync(certs.ca, 'utf8'),
    caOrigin: '--ca ca.crt',
    insecure: false,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<VitictlError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(VitictlError);
    return error as VitictlError;
  }
  throw new Error('expected the preflight to fail');
}

describe('tlsPreflight', () => {
  it('verifies the certificate, then sends one AdmissionReview and checks the answer', async () => {
    const webhook = await server({ record: true });
    const result = await tlsPreflight(target(webhook.url), 'validating', review(), 10);
    expect(result.verified).toBe(true);
    expect(result.peer.subject).toBe('CN=server');
    expect(result.peer.subjectAltName).toContain(`DNS:${TEST_SERVICE_NAME}`);
    expect(result.alpn).toBe('http/1.1');
    expect(result.review.checked).toEqual({ class: 'okAllowed' });
    expect(result.warnings).toEqual([]);
    expect(webhook.seen[0]?.url).toBe('/validate-machine?timeout=10s');
  });

  it('checks the name given with --server-name (SNI) and accepts the right one', async () => {
    const webhook = await server();
    const ok = await tlsPreflight(
      target(webhook.url, { serverName: TEST_SERVICE_NAME }),
      'validating',
      review(),
      10,
    );
    expect(ok.serverName).toBe(TEST_SERVICE_NAME);
    const error = await failure(
      tlsPreflight(target(webhook.url, { serverName: 'other.ns.svc' }), 'validating', review(), 10),
    );
    expect(error.message).toMatch(
      /certificate \(CN=server, issued by CN=ca\) is for .*DNS:webhook\.vitictl-test\.svc, not "other\.ns\.svc"/,
    );
    expect(error.hint).toMatch(/--server-name/);
    expect(error.exitCode).toBe(2);
  });

  it('names a wrong CA', async () => {
    const webhook = await server();
    const error = await failure(
      tlsPreflight(
        target(webhook.url, { ca: readFileSync(certs.otherCa, 'utf8'), caOrigin: '--ca other-ca.crt' }),
        'validating',
        review(),
        10,
      ),
    );
    expect(error.message).toMatch(
      /is not signed by the CA from --ca other-ca\.crt \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
    expect(error.hint).toMatch(/--ca FILE/);
  });

  it('names an expired certificate with its date', async () => {
    const webhook = await server({ cert: certs.expiredCert, key: certs.expiredKey });
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toMatch(/certificate \(CN=expired, issued by CN=ca\) expired on \d{4}-\d\d-\d\dT/);
    expect(error.exitCode).toBe(1);
  });

  it('says connection refused for a closed port', async () => {
    const closed = await server();
    await closed.close();
    const error = await failure(tlsPreflight(target(closed.url), 'validating', review(), 10));
    expect(error.message).toBe(
      `cannot connect to the webhook at 127.0.0.1:${closed.port}: connection refused`,
    );
    expect(error.hint).toMatch(/port-forward/);
  });

  it('says when the port does not speak TLS', async () => {
    const plain = createHttpServer((_req, res) => res.end('hi'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as AddressInfo).port;
    try {
      const error = await failure(
        tlsPreflight(target(`https://127.0.0.1:${port}/x`), 'validating', review(), 5),
      );
      expect(error.message).toMatch(/no TLS handshake with 127\.0\.0\.1:\d+/);
      expect(error.hint).toMatch(/TLS \(https\) port/);
    } finally {
      plain.close();
    }
  });

  it('stops on a non-JSON answer, quoting it', async () => {
    const webhook = await server({ misbehaviour: 'non-json' });
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toBe(
      'the webhook answered non-JSON (text/html) to the preflight AdmissionReview: "<html><body>ok</body></html>"',
    );
  });

  it('stops on JSON that is not an AdmissionReview object, saying so', async () => {
    const webhook = await server({ misbehaviour: 'json-array' });
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toBe(
      'the webhook answered JSON that is not an AdmissionReview object (application/json) to the preflight AdmissionReview: "[1,2,3]"',
    );
  });

  it('stops on an answer larger than 8 MiB, reading no further', async () => {
    const webhook = await server({ misbehaviour: 'huge' });
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toBe(
      `the webhook answered more than 8 MiB to the preflight AdmissionReview at ${webhook.url}`,
    );
  });

  it('a connection closed half way through the answer ends the preflight and leaves no timer holding the process', async () => {
    const webhook = await server({ misbehaviour: 'cut-body' });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 30));
    expect(error.message).toMatch(
      /^the webhook closed the connection without answering the preflight AdmissionReview/,
    );
    // the 30 s timeout timer was left running: the CLI printed the error and exited 30 s later
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('stops on an HTTP error', async () => {
    const webhook = await server({ misbehaviour: 'http-500' });
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toMatch(
      /answered HTTP 500 to the preflight AdmissionReview at https:\/\/127\.0\.0\.1:\d+\/validate-machine: internal error/,
    );
  });

  it('goes on with a warning when the answer is well-formed but would fail (wrong uid, patch)', async () => {
    const wrongUid = await server({ misbehaviour: 'wrong-uid' });
    const result = await tlsPreflight(target(wrongUid.url), 'validating', review(), 10);
    expect(result.review.checked.class).toBe('wouldFail');
    expect(result.warnings).toEqual([
      'the preflight answer would fail in the API server: response.uid does not match request.uid; the run counts every such answer',
    ]);
    const patch = await server({ misbehaviour: 'patch' });
    const patched = await tlsPreflight(target(patch.url), 'validating', review(), 10);
    expect(patched.review.checked.reason).toBe('validating webhook returned response.patch');
  });

  it('with --insecure-skip-tls-verify: connects, warns loudly, says what the API server would reject', async () => {
    const webhook = await server({ cert: certs.expiredCert, key: certs.expiredKey });
    const result = await tlsPreflight(target(webhook.url, { insecure: true }), 'validating', review(), 10);
    expect(result.verified).toBe(false);
    expect(result.warnings[0]).toMatch(
      /^TLS verification is OFF \(--insecure-skip-tls-verify\).*the API server would reject it: CERT_HAS_EXPIRED/,
    );
  });

  it('presents a client certificate when the webhook requires one, and says so when it is missing', async () => {
    const webhook = await server({ clientCa: certs.ca });
    const ok = await tlsPreflight(
      target(webhook.url, {
        cert: readFileSync(certs.clientCert, 'utf8'),
        key: readFileSync(certs.clientKey, 'utf8'),
      }),
      'validating',
      review(),
      10,
    );
    expect(ok.review.checked.class).toBe('okAllowed');
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 10));
    expect(error.message).toMatch(/requires a client certificate|no TLS handshake|closed the connection/);
  });

  it('times out a webhook that never answers, within timeoutSeconds', async () => {
    const webhook = await server({ misbehaviour: 'never-reply' });
    const started = Date.now();
    const error = await failure(tlsPreflight(target(webhook.url), 'validating', review(), 1));
    expect(error.message).toBe('the webhook did not answer the preflight AdmissionReview within 1s');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('tlsPreflight and an interrupt', () => {
  const { silent } = useLocalServers();

  it('ends at the interrupt, not at the handshake timeout, as interrupted (143 for SIGTERM)', async () => {
    const { port } = await silent();
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort('SIGTERM'), 200);
    const started = performance.now();
    const error = await failure(
      tlsPreflight(
        target(`https://127.0.0.1:${port}/validate`),
        'validating',
        review(),
        10,
        interrupt.signal,
      ),
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error.message).toBe('interrupted during the preflight: nothing was measured');
    expect(error.exitCode).toBe(143);
  });
});
