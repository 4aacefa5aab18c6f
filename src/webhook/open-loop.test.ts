import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Misbehaviour,
  machineReviews,
  useWebhookServers,
  type WebhookCerts,
} from '../../test/helpers/webhook-server.js';
import { OpenLoop } from './open-loop.js';
import type { WebhookTarget } from './target.js';

const webhooks = useWebhookServers({ beforeAll, afterAll });
const server = webhooks.server;
let certs: WebhookCerts;
beforeAll(() => {
  certs = webhooks.certs();
});

function loop(url: string, rate: number, timeoutSeconds = 10, memories?: number[], maxInFlight?: number) {
  const target: WebhookTarget = {
    url: new URL(url),
    ca: readFileSync(certs.ca, 'utf8'),
    caOrigin: 'test',
    insecure: false,
  };
  return new OpenLoop({
    target,
    type: 'validating',
    timeoutSeconds,
    factory: machineReviews(memories),
    rate,
    connections: 64,
    ...(maxInFlight === undefined ? {} : { maxInFlight }),
  });
}

describe('OpenLoop (against a real HTTPS webhook)', () => {
  it('starts requests on an even schedule at the requested rate', async () => {
    const webhook = await server();
    const engine = loop(webhook.url, 200);
    try {
      const run = await engine.run({ durationMs: 2000 });
      expect(run.sent).toBe(400);
      expect(run.tally.ended).toBe(400);
      const achieved = ((run.sent - 1) * 1000) / run.startSpanMs;
      expect(Math.abs(achieved - 200) / 200).toBeLessThan(0.01);
      expect(run.tally.classes.okAllowed).toBe(400);
      expect(webhook.requests()).toBe(400);
      // two per 10 ms is the even share at 200/s; the catch-up cap allows three
      expect(run.maxStartsIn10ms).toBeLessThanOrEqual(3);
    } finally {
      await engine.close();
    }
  });

  it('holds at most maxInFlight calls: the starts it delays are late, timed from their intended start', async () => {
    const webhook = await server({ delayMs: 200 });
    const engine = loop(webhook.url, 1000, 10, undefined, 10);
    try {
      const run = await engine.run({ requests: 40 });
      expect(run.sent).toBe(40);
      expect(run.tally.classes.okAllowed).toBe(40);
      // 40 calls of 200 ms, 10 at a time: the last starts ~600 ms after it was due
      expect(run.maxLagMs).toBeGreaterThan(400);
      expect(run.lateStarts).toBeGreaterThanOrEqual(30);
    } finally {
      await engine.close();
    }
  });

  it('stops after --requests N and counts allowed and denied', async () => {
    const webhook = await server();
    const engine = loop(webhook.url, 500, 10, [1024, -1, 2048, 4096]);
    try {
      const run = await engine.run({ requests: 200 });
      expect(run.sent).toBe(200);
      expect(run.tally.classes).toEqual({
        okAllowed: 150,
        okDenied: 50,
        httpError: 0,
        timeout: 0,
        wouldFail: 0,
      });
      expect(run.tally.buckets.reduce((a, b) => a + b, 0)).toBe(200);
    } finally {
      await engine.close();
    }
  });

  it('is coordinated-omission correct: a one-time 500 ms stall raises p99 instead of vanishing', async () => {
    const webhook = await server({ misbehaviour: 'stall-once', stallAfter: 100, stallMs: 500 });
    const engine = loop(webhook.url, 200);
    try {
      const run = await engine.run({ durationMs: 3000 });
      const h = run.tally.histogram;
      // every request due during the stall is a sample, timed from when it should have started
      expect(run.tally.ended).toBe(run.sent);
      expect(h.totalCount).toBe(run.sent);
      expect(h.getValueAtPercentile(99)).toBeGreaterThanOrEqual(400_000);
      expect(h.maxValue).toBeGreaterThanOrEqual(450_000);
      expect(h.getValueAtPercentile(50)).toBeLessThan(100_000);
      // ~100 requests were due in those 500 ms; most of them waited well over 100 ms
      const over100ms = run.tally.buckets.slice(3).reduce((a, b) => a + b, 0);
      expect(over100ms).toBeGreaterThanOrEqual(50);
    } finally {
      await engine.close();
    }
  });

  it.each<[Misbehaviour, number, string, string]>([
    ['wrong-uid', 10, 'wouldFail', 'response.uid does not match request.uid'],
    ['non-json', 5, 'wouldFail', 'body is not JSON'],
    ['patch', 4, 'wouldFail', 'validating webhook returned response.patch'],
    ['http-500', 10, 'httpError', 'HTTP 500'],
    ['destroy-socket', 20, 'httpError', 'reset: UND_ERR_SOCKET'],
  ])('detects %s on every %i-th answer', async (misbehaviour, every, cls, reason) => {
    const webhook = await server({ misbehaviour, every });
    const engine = loop(webhook.url, 400);
    try {
      const run = await engine.run({ requests: 200 });
      const failed = 200 / every;
      expect(run.tally.ended).toBe(200);
      expect(run.tally.classes[cls as 'wouldFail']).toBe(failed);
      expect(run.tally.classes.okAllowed).toBe(200 - failed);
      expect(Object.fromEntries(run.tally.reasons)).toEqual({ [reason]: failed });
    } finally {
      await engine.close();
    }
  });

  it('counts a webhook that never answers as timeouts after timeoutSeconds', async () => {
    const webhook = await server({ misbehaviour: 'never-reply', every: 10 });
    const engine = loop(webhook.url, 200, 1);
    try {
      const started = performance.now();
      const run = await engine.run({ requests: 50 });
      expect(run.tally.classes.timeout).toBe(5);
      expect(run.tally.classes.okAllowed).toBe(45);
      expect(run.unanswered).toBe(0);
      expect(performance.now() - started).toBeLessThan(4000);
      // their latency is at least the timeout: they stay in the distribution
      expect(run.tally.histogram.maxValue).toBeGreaterThanOrEqual(1_000_000);
    } finally {
      await engine.close();
    }
  });

  it('counts an answer larger than 8 MiB as one the API server would fail, without reading it whole', async () => {
    const webhook = await server({ misbehaviour: 'huge', every: 4 });
    const engine = loop(webhook.url, 20);
    try {
      const run = await engine.run({ requests: 8 });
      expect(run.tally.classes.okAllowed).toBe(6);
      expect(Object.fromEntries(run.tally.reasons)).toEqual({ 'answer larger than 8 MiB': 2 });
      expect(run.unanswered).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('ends a body that drips past timeoutSeconds as a timeout (undici times only the gaps between chunks)', async () => {
    const webhook = await server({ misbehaviour: 'drip' });
    const engine = loop(webhook.url, 20, 1);
    try {
      const started = performance.now();
      const run = await engine.run({ requests: 5 });
      expect(run.tally.classes.timeout).toBe(5);
      expect(Object.fromEntries(run.tally.reasons)).toEqual({ 'answered after timeoutSeconds': 5 });
      expect(run.unanswered).toBe(0);
      // the drip would last 10 s; each call ends at the first chunk after its second
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await engine.close();
    }
  });

  it('stops when interrupted and reports what it measured', async () => {
    const webhook = await server();
    const engine = loop(webhook.url, 200);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    try {
      const run = await engine.run({ durationMs: 10_000 }, abort.signal);
      expect(run.interrupted).toBe(true);
      expect(run.sent).toBeGreaterThan(30);
      expect(run.sent).toBeLessThan(200);
      expect(run.tally.ended).toBe(run.sent);
    } finally {
      await engine.close();
    }
  });
});
