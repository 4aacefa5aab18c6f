import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineSources, useWebhookServers, type WebhookCerts } from '../../test/helpers/webhook-server.js';
import { VitictlError } from '../errors.js';
import { makeStyle } from '../render/style.js';
import { renderWebhookSummary } from '../render/webhook-views.js';
import { runResultSchema } from '../report/run-result.js';
import { webhookResultSchema } from '../report/sections/webhook.js';
import { runWebhookBench, type WebhookBenchOptions } from './engine.js';

const webhooks = useWebhookServers({ beforeAll, afterAll });
const server = webhooks.server;
let certs: WebhookCerts;
beforeAll(() => {
  certs = webhooks.certs();
});

function options(url: string, overrides: Partial<WebhookBenchOptions> = {}): WebhookBenchOptions {
  const sources = machineSources([1024, -1, 2048, 4096]);
  return {
    target: {
      url: new URL(url),
      ca: readFileSync(certs.ca, 'utf8'),
      caOrigin: '--ca ca.crt',
      insecure: false,
    },
    webhook: {
      configuration: null,
      name: null,
      type: 'validating',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    },
    load: { engine: 'open', rate: 400, maxConnections: 32 },
    limit: { requests: 200 },
    warmupMs: 100,
    sources,
    scenario: { name: 'test', file: 'test', seed: 0, objects: sources.length },
    operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
    dryRunShare: 0,
    context: '',
    ...overrides,
  };
}

describe('runWebhookBench', () => {
  it('open loop: preflight, warm-up, measured phase → a RunResult whose counts add up', async () => {
    const webhook = await server();
    const phases: string[] = [];
    const { result, warnings } = await runWebhookBench({
      ...options(webhook.url),
      onPhase: (name) => phases.push(name),
    });
    expect(phases).toEqual(['preflight', 'warmup', 'measure']);
    expect(() => runResultSchema.parse(result)).not.toThrow();
    const w = webhookResultSchema.parse(result.webhook);
    expect(w.engine).toBe('open-loop');
    expect(w.tls.verified).toBe('every-connection');
    expect(w.requests).toEqual({ sent: 200, ended: 200, unanswered: 0 });
    expect(w.counts).toEqual({ okAllowed: 150, okDenied: 50, httpError: 0, timeout: 0, wouldFail: 0 });
    expect(w.failurePolicy).toEqual({ policy: 'Fail', admitted: 150, rejected: 50, failedCalls: 0 });
    expect(w.load.operations).toEqual({ CREATE: 200, UPDATE: 0, DELETE: 0 });
    expect(w.latency.count).toBe(200);
    expect(w.apiServerBuckets.at(-1)).toEqual({ le: '+Inf', count: 200 });
    expect(w.apiServerBuckets.map((b) => b.le)).toEqual([0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25, '+Inf']);
    expect(w.latency.p50).toBeLessThanOrEqual(w.latency.p99);
    expect(result.phases.map((p) => p.name)).toEqual([
      'webhook-preflight',
      'webhook-warmup',
      'webhook-measure',
    ]);
    expect(warnings.every((line) => !/BEGIN|PRIVATE/.test(line))).toBe(true);
    const text = renderWebhookSummary(w, makeStyle(false));
    expect(text).toMatch(
      /^answers {2}allowed 150 · denied 50 · http errors 0 · timeouts 0 · would fail in API server 0$/m,
    );
    expect(text).toMatch(/^API-server buckets \(le → count\): 5ms \d+ · 25ms \d+ .* \+Inf 200$/m);
  });

  it('closed loop: records that only the preflight verified TLS', async () => {
    const webhook = await server({ misbehaviour: 'wrong-uid', every: 20 });
    const { result } = await runWebhookBench(
      options(webhook.url, {
        load: { engine: 'closed', connections: 4 },
        limit: { requests: 200 },
        warmupMs: 0,
      }),
    );
    const w = result.webhook;
    expect(w.engine).toBe('closed-loop');
    expect(w.tls.verified).toBe('preflight-only');
    expect(w.notes.join('\n')).toMatch(
      /autocannon does not verify TLS certificates; the preflight connection was verified/,
    );
    // the preflight's own request is the server's first: every 20th of the rest fails the uid check
    expect(w.counts.wouldFail).toBeGreaterThanOrEqual(9);
    expect(w.errors).toEqual({ 'response.uid does not match request.uid': w.counts.wouldFail });
    expect(w.failurePolicy.rejected).toBe(w.counts.okDenied + w.counts.wouldFail);
    expect(w.autocannonLatencyMs).not.toBeNull();
  });

  it('failurePolicy Ignore admits failed calls', async () => {
    const webhook = await server({ misbehaviour: 'http-500', every: 10 });
    // the preflight is request 1; 10, 20, … answer 500
    const { result } = await runWebhookBench(
      options(webhook.url, {
        webhook: {
          configuration: null,
          name: null,
          type: 'validating',
          failurePolicy: 'Ignore',
          timeoutSeconds: 10,
        },
        warmupMs: 0,
      }),
    );
    const w = result.webhook;
    expect(w.counts.httpError).toBe(20);
    expect(w.failurePolicy).toMatchObject({ policy: 'Ignore', failedCalls: 20 });
    expect(w.failurePolicy.admitted).toBe(w.counts.okAllowed + 20);
  });

  it('a failed preflight stops the run before any load', async () => {
    const webhook = await server({ cert: certs.expiredCert, key: certs.expiredKey });
    await expect(runWebhookBench(options(webhook.url))).rejects.toThrow(VitictlError);
    expect(webhook.requests()).toBe(0);
  });

  it('--insecure-skip-tls-verify is warned about and recorded', async () => {
    const webhook = await server({ cert: certs.expiredCert, key: certs.expiredKey });
    const base = options(webhook.url, { warmupMs: 0, limit: { requests: 20 } });
    const { result, warnings } = await runWebhookBench({
      ...base,
      target: { ...base.target, insecure: true },
    });
    expect(warnings[0]).toMatch(/TLS verification is OFF/);
    expect(result.webhook.tls.verified).toBe('none');
    expect(result.target.insecureSkipTlsVerify).toBe(true);
    expect(renderWebhookSummary(result.webhook, makeStyle(false))).toMatch(
      /NOT VERIFIED \(--insecure-skip-tls-verify\)/,
    );
  });
});
