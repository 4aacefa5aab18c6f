import { describe, expect, it } from 'vitest';
import type { ApiServerSection } from '../report/sections/apiserver.js';
import { webhookPressure } from './apiserver-load.js';

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
  it('is one when it takes most of a write and a fifth or more of the way to ready', () => {
    const pressure = webhookPressure(section(350, [webhook('slow.example.com', 300)]), 1200);
    expect(pressure).toMatchObject({ bottleneck: true, name: 'slow.example.com', meanMs: 300 });
    expect(pressure!.shareOfWrite).toBeCloseTo(300 / 350);
    expect(pressure!.shareOfReady).toBeCloseTo(0.25);
  });

  it('is not one when the path to ready is mostly elsewhere, when writes are mostly elsewhere, or when it is fast', () => {
    expect(webhookPressure(section(350, [webhook('w', 300)]), 10_000)!.bottleneck).toBe(false);
    expect(webhookPressure(section(1000, [webhook('w', 300)]), 1200)!.bottleneck).toBe(false);
    expect(webhookPressure(section(9, [webhook('w', 8)]), 20)!.bottleneck).toBe(false);
  });

  it('looks at the slowest webhook only, and needs the API server section and a webhook call', () => {
    // the section lists the slowest first
    const two = webhookPressure(section(350, [webhook('slow', 300), webhook('fast', 2)]), 1200);
    expect(two!.name).toBe('slow');
    expect(webhookPressure(section(350, []), 1200)).toBeNull();
    expect(webhookPressure(undefined, 1200)).toBeNull();
    expect(webhookPressure(section(null, [webhook('w', 300)]), 1200)!.bottleneck).toBe(false);
  });
});
