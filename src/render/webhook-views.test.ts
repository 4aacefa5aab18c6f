import { describe, expect, it } from 'vitest';
import { hdr } from '../../test/helpers/run-fixture.js';
import type { WebhookResult } from '../report/sections/webhook.js';
import { makeStyle } from './style.js';
import { formatUs, renderWebhookSummary } from './webhook-views.js';

function result(overrides: Partial<WebhookResult> = {}): WebhookResult {
  return {
    target: {
      url: 'https://127.0.0.1:9443/validate-machine',
      configuration: 'vitictl-lab-operator',
      webhook: 'vmachine.vitistack.io',
      type: 'validating',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    },
    tls: {
      verified: 'every-connection',
      insecureSkipTlsVerify: false,
      caOrigin: 'the caBundle of vitictl-lab-operator',
      serverName: '127.0.0.1',
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      clientCertificate: false,
      peer: {
        subject: 'CN=vitistack-operator-webhook',
        issuer: 'CN=vitictl-lab-ca',
        validFrom: '2026-01-01T00:00:00.000Z',
        validTo: '2027-01-01T00:00:00.000Z',
        subjectAltName: 'IP Address:127.0.0.1',
      },
      handshakeMs: 3.2,
    },
    engine: 'open-loop',
    load: {
      requestedRate: 500,
      connections: 256,
      achievedRate: 499.95,
      throughput: 499.7,
      durationSeconds: 10.002,
      warmupSeconds: 1,
      operations: { CREATE: 4000, UPDATE: 750, DELETE: 250 },
      dryRun: 0,
      objects: 1000,
    },
    requests: { sent: 5000, ended: 5000, unanswered: 0 },
    counts: { okAllowed: 4490, okDenied: 500, httpError: 4, timeout: 1, wouldFail: 5 },
    allowed: 4490,
    denied: 500,
    deniedWithoutStatus: 2,
    patched: 0,
    warnings: 0,
    errors: {
      'response.uid does not match request.uid': 5,
      'HTTP 500': 4,
      'no answer within timeoutSeconds': 1,
    },
    failurePolicy: { policy: 'Fail', admitted: 4490, rejected: 510, failedCalls: 10 },
    latency: {
      unit: 'us',
      count: 5000,
      min: 310,
      mean: 1480.2,
      p50: 1203,
      p90: 2411,
      p95: 3005,
      p99: 9871,
      p999: 480_255,
      p9999: 501_247,
      max: 10_002_431,
      encoded: 'x',
    },
    latencyUncorrected: {
      unit: 'us',
      count: 5000,
      min: 250,
      mean: 800.5,
      p50: 598,
      p90: 1203,
      p95: 1500,
      p99: 4001,
      p999: 20_111,
      p9999: 30_000,
      max: 10_001_000,
      encoded: 'x',
    },
    apiServerBuckets: [
      { le: 0.005, count: 4960 },
      { le: 0.025, count: 4985 },
      { le: 0.1, count: 4990 },
      { le: 0.5, count: 4998 },
      { le: 1, count: 4999 },
      { le: 2.5, count: 4999 },
      { le: 10, count: 4999 },
      { le: 25, count: 5000 },
      { le: '+Inf', count: 5000 },
    ],
    generator: {
      keptUp: true,
      lateStarts: 0,
      maxStartLagMs: 3.1,
      startLagP50Ms: 0.61,
      startLagP99Ms: 1.9,
      maxStartsIn10ms: 7,
      evenShareIn10ms: 5,
      cpuMs: 812.5,
      cpuMsPer1000Requests: 162.5,
    },
    autocannonLatencyMs: null,
    latencyMethod: 'm',
    notes: ['a note'],
    ...overrides,
  };
}

describe('renderWebhookSummary', () => {
  it('open loop', () => {
    expect(renderWebhookSummary(result(), makeStyle(false))).toMatchSnapshot();
  });

  it('closed loop, verification off, generator CPU-bound', () => {
    const text = renderWebhookSummary(
      result({
        engine: 'closed-loop',
        tls: { ...result().tls, verified: 'none', insecureSkipTlsVerify: true },
        load: { ...result().load, requestedRate: null, connections: 16, throughput: 21034.5 },
        generator: {
          keptUp: false,
          lateStarts: null,
          maxStartLagMs: null,
          startLagP50Ms: null,
          startLagP99Ms: null,
          maxStartsIn10ms: null,
          evenShareIn10ms: null,
          cpuMs: 9500,
          cpuMsPer1000Requests: 45.1,
        },
        autocannonLatencyMs: { p50: 0, p99: 1, max: 12 },
        latencyUncorrected: null,
        notes: [],
      }),
      makeStyle(false),
    );
    expect(text).toMatchSnapshot();
  });

  it("says when a generator that fell behind mostly waited for the host's CPUs", () => {
    const behind = result();
    behind.generator = {
      ...behind.generator,
      keptUp: false,
      lateStarts: 60,
      maxStartLagMs: 31,
      pacing: {
        lateness: hdr([0.1, 0.2, 0.3, 31]),
        lateStretches: 4,
        lateStretchMs: 80,
        cpuWaitMs: 60,
        cpuWaitShare: 0.75,
      },
    };
    const text = renderWebhookSummary(behind, makeStyle(false));
    expect(text).toContain('4 stretches > 5 ms late, 80ms; vitictl waited for a CPU 60ms of it (75%)');
    expect(text).toContain(
      "generator fell behind (60 starts > 10 ms late, max 31 ms): late starts: mostly waiting for a CPU, the host's were busy",
    );
    expect(text).toContain('or lower --rate');
  });

  it('formats µs', () => {
    expect([310, 1203, 12_345, 480_255, 10_002_431].map(formatUs)).toEqual([
      '310µs',
      '1.20ms',
      '12.3ms',
      '480.3ms',
      '10.00s',
    ]);
  });
});
