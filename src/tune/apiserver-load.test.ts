import { describe, expect, it } from 'vitest';
import type { ApiServerSection } from '../report/sections/apiserver.js';
import { apiserverPressure, fitLatencyCurve, webhookPressure } from './apiserver-load.js';

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
  const quiet = (cores: number | null, gomaxprocs: number | null, schedWaitP99Ms: number | null = null) =>
    ({
      windowSeconds: 60,
      requests: 12_000,
      series: [],
      flowControl: { rejected: 0, rejectedBy: [], waitP99Ms: [] },
      sli: { checks: [{ name: 'mutating', requests: 5000, p99Ms: 359, thresholdMs: 1000, verdict: 'pass' }] },
      etcd: { commitP99Ms: 12 },
      inflight: { mutatingMax: 20 },
      cpu: { cores, gomaxprocs, schedWaitP99Ms },
    }) as unknown as ApiServerSection;

  it('is saturated when it used 70% or more of its GOMAXPROCS cores, though it kept its SLOs', () => {
    const pressure = apiserverPressure(quiet(1.46, 2), 0);
    expect(pressure.saturated).toBe(true);
    expect(pressure.signs).toEqual([
      'the API server is CPU-bound: it used 1.5 of the 2 cores it may use (GOMAXPROCS)',
    ]);
    expect(pressure.evidence).toMatchObject({ 'apiserver cores used': 1.5, 'apiserver GOMAXPROCS': 2 });
  });

  it('is saturated when it used half its cores and its goroutines waited for a core', () => {
    const pressure = apiserverPressure(quiet(1.2, 2, 6.3), 0);
    expect(pressure.saturated).toBe(true);
    expect(pressure.latencyOnly).toBe(false);
    expect(pressure.signs).toEqual([
      'the API server waited for CPU: its goroutines waited p99 6.3ms for a core while it used 1.2 of its 2 (what shares its host takes the rest)',
    ]);
    expect(pressure.evidence).toMatchObject({ 'apiserver wait for a core p99 (ms)': 6.3 });
  });

  it('is not when it used less, or when its metrics do not say', () => {
    expect(apiserverPressure(quiet(1.2, 2, 1.1), 0).saturated).toBe(false);
    // a busy host makes every process wait; a server using few of its cores is not what limits
    expect(apiserverPressure(quiet(0.4, 2, 7.8), 0).saturated).toBe(false);
    expect(apiserverPressure(quiet(1.2, 2), 0).saturated).toBe(false);
    expect(apiserverPressure(quiet(null, 2), 0).saturated).toBe(false);
    expect(apiserverPressure(quiet(1.9, null), 0).saturated).toBe(false);
  });
});

describe('latency against the offered rate', () => {
  /** Scrape intervals at these (requests/s, mutating p99 ms), and nothing else to say. */
  const rising = (points: Array<[number, number]>) =>
    ({
      windowSeconds: 60,
      requests: 60 * points[points.length - 1]![0],
      series: points.map(([rps, p99], i) => ({
        t: 5 * (i + 1),
        requestsPerSecond: rps,
        mutatingP99Ms: p99,
        inflight: 1,
      })),
      flowControl: { rejected: 0, rejectedBy: [], waitP99Ms: [] },
      sli: { checks: [] },
      etcd: { commitP99Ms: null },
      inflight: { mutatingMax: 3 },
      cpu: { cores: 0.2, gomaxprocs: 2 },
    }) as unknown as ApiServerSection;

  it('is a sign of saturation when it doubles across the rates seen and ends high', () => {
    const pressure = apiserverPressure(
      rising([
        [50, 100],
        [100, 250],
        [150, 400],
        [200, 550],
      ]),
      0,
    );
    expect(pressure.saturated).toBe(true);
    expect(pressure.signs[0]).toMatch(/mutating latency rises with the offered rate: ×5\.5 from 50 to 200/);
  });

  it('is not while it stays low (a quiet server whose etcd batches more writes)', () => {
    // as a client-QPS-bound lab run showed it: 50 → 170 ms from 14 to 53 requests/s on 0.2 of a core
    const pressure = apiserverPressure(
      rising([
        [14, 50],
        [27, 95],
        [40, 130],
        [53, 170],
      ]),
      0,
    );
    expect(pressure.saturated).toBe(false);
  });

  it('takes a run too short for a line as calls at the latency they were measured at', () => {
    const curve = fitLatencyCurve(
      rising([
        [90, 40],
        [130, 45],
      ]),
      3.5,
    );
    expect(curve).toEqual({ baseMs: 3.5, msPerRps: 0, points: 2, correlation: null });
    expect(fitLatencyCurve(rising([[90, 40]]), 0)).toBeNull();
  });
});
