import { describe, expect, it } from 'vitest';
import type { ApiServerSection } from '../report/sections/apiserver.js';
import { apiserverPressure, webhookPressure } from './apiserver-load.js';

const webhook = (name: string, meanMs: number) => ({
  name,
  type: 'validating',
  requests: 600,
  perSecond: 20,
  meanMs,
  p99Ms: meanMs * 2,
  rejected: 0,
});

const section = (mutatingMeanMs: number | null, webhooks: ApiServerSection['admissionWebhooks']) =>
  ({ mutatingMeanMs, admissionWebhooks: webhooks }) as ApiServerSection;

describe('an admission webhook as the bottleneck', () => {
  it('is one when it takes most of a write and its calls add up to a fifth or more of the way to ready', () => {
    // 600 calls for 200 objects: the create and two controller writes each
    const pressure = webhookPressure(section(350, [webhook('slow.example.com', 300)]), 3600, 200);
    expect(pressure).toMatchObject({
      bottleneck: true,
      name: 'slow.example.com',
      meanMs: 300,
      callsPerObject: 3,
    });
    expect(pressure!.shareOfWrite).toBeCloseTo(300 / 350);
    expect(pressure!.shareOfReady).toBeCloseTo((3 * 300) / 3600);
  });

  it('is not one when the path to ready is mostly elsewhere, when writes are mostly elsewhere, or when it is fast', () => {
    expect(webhookPressure(section(350, [webhook('w', 300)]), 10_000, 600)!.bottleneck).toBe(false);
    expect(webhookPressure(section(1000, [webhook('w', 300)]), 1200, 600)!.bottleneck).toBe(false);
    expect(webhookPressure(section(9, [webhook('w', 8)]), 20, 600)!.bottleneck).toBe(false);
  });

  it('looks at the slowest webhook only, and needs the API server section and a webhook call', () => {
    // the section lists the slowest first
    const two = webhookPressure(section(350, [webhook('slow', 300), webhook('fast', 2)]), 1200, 600);
    expect(two!.name).toBe('slow');
    expect(webhookPressure(section(350, []), 1200, 600)).toBeNull();
    expect(webhookPressure(undefined, 1200, 600)).toBeNull();
    expect(webhookPressure(section(null, [webhook('w', 300)]), 1200, 600)!.bottleneck).toBe(false);
    expect(webhookPressure(section(350, [webhook('w', 300)]), 1200, undefined)!.bottleneck).toBe(false);
  });
});

describe('the API server short of CPU', () => {
  /** A section where nothing but the server's CPU says anything. */
  const quiet = (cores: number | null, gomaxprocs: number | null) =>
    ({
      windowSeconds: 60,
      requests: 12_000,
      series: [],
      flowControl: { rejected: 0, rejectedBy: [], waitP99Ms: [] },
      sli: { checks: [{ name: 'mutating', requests: 5000, p99Ms: 359, thresholdMs: 1000, verdict: 'pass' }] },
      etcd: { commitP99Ms: 12 },
      inflight: { mutatingMax: 20 },
      cpu: { cores, gomaxprocs },
    }) as unknown as ApiServerSection;

  it('is saturated when it used 70% or more of its GOMAXPROCS cores, though it kept its SLOs', () => {
    const pressure = apiserverPressure(quiet(1.46, 2), 0);
    expect(pressure.saturated).toBe(true);
    expect(pressure.signs).toEqual([
      'the API server is CPU-bound: it used 1.5 of the 2 cores it may use (GOMAXPROCS)',
    ]);
    expect(pressure.evidence).toMatchObject({ 'apiserver cores used': 1.5, 'apiserver GOMAXPROCS': 2 });
  });

  it('is not when it used less, or when its metrics do not say', () => {
    expect(apiserverPressure(quiet(1.2, 2), 0).saturated).toBe(false);
    expect(apiserverPressure(quiet(null, 2), 0).saturated).toBe(false);
    expect(apiserverPressure(quiet(1.9, null), 0).saturated).toBe(false);
  });
});
