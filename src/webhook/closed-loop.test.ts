import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineReviews, useWebhookServers, type WebhookCerts } from '../../test/helpers/webhook-server.js';
import { runClosedLoop } from './closed-loop.js';
import type { WebhookTarget } from './target.js';

const webhooks = useWebhookServers({ beforeAll, afterAll });
const server = webhooks.server;
let certs: WebhookCerts;
beforeAll(() => {
  certs = webhooks.certs();
});

function options(url: string, connections: number, timeoutSeconds = 10) {
  const factory = machineReviews();
  const target: WebhookTarget = {
    url: new URL(url),
    ca: readFileSync(certs.ca, 'utf8'),
    caOrigin: 'test',
    insecure: false,
  };
  return { target, type: 'validating' as const, timeoutSeconds, factory, connections };
}

describe('runClosedLoop (autocannon, our checks and µs timing)', () => {
  it('sends a fresh uid per request and checks every answer', async () => {
    const webhook = await server({ record: true });
    const run = await runClosedLoop(options(webhook.url, 4), { requests: 200 });
    expect(run.sent).toBe(200);
    expect(run.tally.ended).toBe(200);
    expect(run.tally.classes.okAllowed).toBe(200);
    const uids = new Set(webhook.seen.map((seen) => seen.review.request?.uid));
    expect(uids.size).toBe(200);
    expect(webhook.seen[0]?.url).toBe('/validate-machine?timeout=10s');
    expect(webhook.seen[0]?.headers['content-type']).toBe('application/json');
    // our histogram is in µs, not autocannon's whole milliseconds
    const h = run.tally.histogram;
    expect(
      [h.minNonZeroValue, h.getValueAtPercentile(50), h.getValueAtPercentile(90)].some(
        (us) => us % 1000 !== 0,
      ),
    ).toBe(true);
    expect(run.autocannon.requests).toBeGreaterThanOrEqual(200);
  });

  it('detects uid mismatches', async () => {
    const webhook = await server({ misbehaviour: 'wrong-uid', every: 10 });
    const run = await runClosedLoop(options(webhook.url, 4), { requests: 200 });
    expect(run.tally.classes.wouldFail).toBe(20);
    expect(Object.fromEntries(run.tally.reasons)).toEqual({ 'response.uid does not match request.uid': 20 });
  });

  it('counts an answer larger than 8 MiB as one the API server would fail', async () => {
    const webhook = await server({ misbehaviour: 'huge', every: 5 });
    const run = await runClosedLoop(options(webhook.url, 2), { requests: 20 });
    expect(run.tally.classes.okAllowed).toBe(16);
    expect(Object.fromEntries(run.tally.reasons)).toEqual({ 'answer larger than 8 MiB': 4 });
  });

  it('counts requests lost to closed connections instead of dropping them', async () => {
    const webhook = await server({ misbehaviour: 'destroy-socket', every: 10 });
    const run = await runClosedLoop(options(webhook.url, 2), { durationMs: 1000 });
    expect(run.tally.classes.httpError).toBeGreaterThan(0);
    expect(run.tally.ended + run.unanswered).toBe(run.sent);
    expect(run.unanswered).toBeLessThanOrEqual(2);
  });

  it('runs for a duration', async () => {
    const webhook = await server();
    const run = await runClosedLoop(options(webhook.url, 8), { durationMs: 1000 });
    expect(run.tally.ended).toBeGreaterThan(100);
    expect(run.spanMs).toBeGreaterThan(900);
    expect(run.unanswered).toBeLessThanOrEqual(8);
  });
});
