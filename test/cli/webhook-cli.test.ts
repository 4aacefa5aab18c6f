import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errorLines } from '../helpers/errors.js';
import {
  TEST_SERVICE_NAME,
  useWebhookServers,
  type WebhookCerts,
  type WebhookServer,
} from '../helpers/webhook-server.js';

const webhooks = useWebhookServers({ beforeAll, afterAll });
const server = webhooks.server;
let certs: WebhookCerts;
beforeAll(() => {
  certs = webhooks.certs();
});

const quick = ['--rate', '200', '--requests', '100', '--warmup', '0s'];

describe('vitictl webhook bench (in-process, against a test webhook)', () => {
  it('runs, prints the summary with the API-server buckets, exits 0', async () => {
    const webhook = await server();
    const result = await runCli(['webhook', 'bench', '--url', webhook.url, '--ca', certs.ca, ...quick]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const out = String(result.stdout);
    expect(out).toMatch(/^tls {6}verified on every connection · CA from --ca .*ca\.crt · name 127\.0\.0\.1/m);
    expect(out).toMatch(
      /^answers {2}allowed 100 · denied 0 · http errors 0 · timeouts 0 · would fail in API server 0$/m,
    );
    expect(out).toMatch(/^API-server buckets \(le → count\): 5ms/m);
  });

  it('reports what it got from a webhook that answers with the wrong uid, and exits 1', async () => {
    const webhook = await server({ misbehaviour: 'wrong-uid', every: 4 });
    const result = await runCli([
      'webhook',
      'bench',
      '--url',
      webhook.url,
      '--ca',
      certs.ca,
      ...quick,
      '-o',
      'json',
    ]);
    expect(result.exitCode).toBe(1);
    const json = JSON.parse(String(result.stdout)) as {
      kind: string;
      webhook: { counts: { wouldFail: number; okAllowed: number }; errors: Record<string, number> };
    };
    expect(json.kind).toBe('vitictl.io/RunResult');
    expect(json.webhook.counts.wouldFail).toBe(25);
    expect(json.webhook.errors).toEqual({ 'response.uid does not match request.uid': 25 });
  });

  it.each([
    [
      'wrong CA',
      (w: WebhookServer) => ['--url', w.url, '--ca', certs.otherCa],
      2,
      /is not signed by the CA from --ca/,
    ],
    [
      'name mismatch',
      (w: WebhookServer) => ['--url', w.url, '--ca', certs.ca, '--server-name', 'wrong.ns.svc'],
      2,
      /is for IP Address:127\.0\.0\.1, DNS:localhost, DNS:webhook\.vitictl-test\.svc, not "wrong\.ns\.svc"/,
    ],
    [
      'unreachable',
      (w: WebhookServer) => ['--url', `https://127.0.0.1:${w.port + 0}/x`, '--ca', certs.ca],
      1,
      /connection refused/,
    ],
  ])('%s: one clear line, the right exit code, no stack', async (_name, args, code, message) => {
    const webhook = await server();
    if (_name === 'unreachable') await webhook.close();
    const result = await runCli(['webhook', 'bench', ...args(webhook), ...quick]);
    expect(result.exitCode).toBe(code);
    const lines = errorLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(String(result.stderr)).not.toMatch(/\n\s+at /);
    expect(String(result.stderr)).toMatch(/^hint: /m);
  });

  it('an expired certificate and a non-JSON answer stop before any load', async () => {
    const expired = await server({ cert: certs.expiredCert, key: certs.expiredKey });
    const first = await runCli(['webhook', 'bench', '--url', expired.url, '--ca', certs.ca, ...quick]);
    expect(first.exitCode).toBe(1);
    expect(errorLines(first.stderr)[0]).toMatch(
      /^error: the webhook's certificate \(CN=expired, issued by CN=ca\) expired on /,
    );
    const html = await server({ misbehaviour: 'non-json' });
    const second = await runCli(['webhook', 'bench', '--url', html.url, '--ca', certs.ca, ...quick]);
    expect(second.exitCode).toBe(1);
    expect(errorLines(second.stderr)[0]).toMatch(/answered non-JSON \(text\/html\)/);
    expect(html.requests()).toBe(1);
  });

  it('a service name with --server-name, and a client certificate', async () => {
    const webhook = await server({ clientCa: certs.ca });
    const result = await runCli([
      'webhook',
      'bench',
      '--url',
      webhook.url,
      '--ca',
      certs.ca,
      '--server-name',
      TEST_SERVICE_NAME,
      '--cert',
      certs.clientCert,
      '--key',
      certs.clientKey,
      ...quick,
    ]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(/name webhook\.vitictl-test\.svc · TLSv1\.3 · client cert/);
    expect(`${String(result.stdout)}${String(result.stderr)}`).not.toMatch(/PRIVATE KEY/);
  });

  it.each([
    [['--rate', '10'], /--url or --webhook is required/],
    [['--url', 'http://127.0.0.1:1/x'], /--url must be https/],
    [['--url', 'https://127.0.0.1:1/x?timeout=5s'], /must not have a query/],
    [['--url', 'https://u:p@127.0.0.1:1/x'], /must not carry user info/],
    [['--url', 'https://u:s3cret@[::1/x'], /^error: --url is not a URL: "https:\/\/REDACTED@\[::1\/x"$/],
    [['--url', 'https://127.0.0.1:1/x', '--cert', 'c.pem'], /--cert and --key go together/],
    [
      ['--url', 'https://127.0.0.1:1/x', '--ca', '/nonexistent/ca.crt'],
      /CA file not found: \/nonexistent\/ca\.crt/,
    ],
    [['--url', 'https://127.0.0.1:1/x', '--operations', 'PATCH=1'], /unknown operation "PATCH"/],
  ])('bad input %j exits 2', async (args, message) => {
    const result = await runCli(['webhook', 'bench', ...args]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toMatch(message);
  });

  it('--help shows the surface and examples', async () => {
    const result = await runCli(['webhook', 'bench', '--help']);
    expect(result.exitCode).toBe(0);
    const out = String(result.stdout);
    for (const flag of [
      '--url',
      '--webhook',
      '--ca',
      '--server-name',
      '--rate',
      '--connections',
      '--duration',
      '--requests',
      '--warmup',
      '--scenario',
      '--objects',
      '--operations',
      '--dry-run-share',
      '--timeout-seconds',
      '--insecure-skip-tls-verify',
      '--out',
    ]) {
      expect(out).toContain(flag);
    }
    expect(out).toMatch(/Examples:\n {2}\$ vitictl webhook bench --url/);
  });
});
