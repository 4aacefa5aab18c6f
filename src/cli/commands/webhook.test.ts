import { describe, expect, it } from 'vitest';
import { benchLoadFromFlags } from './webhook.js';

describe('vitictl webhook bench flags → options', () => {
  it.each([
    [
      {},
      {
        load: { engine: 'open', rate: 100, maxConnections: 256 },
        limit: { durationMs: 10_000 },
        warmupMs: 1000,
      },
    ],
    [
      { rate: '500', duration: '30s', warmup: '0s' },
      {
        load: { engine: 'open', rate: 500, maxConnections: 256 },
        limit: { durationMs: 30_000 },
        warmupMs: 0,
      },
    ],
    [
      { rate: '2000', maxConnections: '64', requests: '10000' },
      {
        load: { engine: 'open', rate: 2000, maxConnections: 64 },
        limit: { requests: 10_000 },
        warmupMs: 1000,
      },
    ],
    [{ connections: '16' }, { load: { engine: 'closed', connections: 16 }, limit: { durationMs: 10_000 } }],
    [
      { timeoutSeconds: '30', dryRunShare: '0.25', failurePolicy: 'Ignore' },
      { timeoutSeconds: 30, dryRunShare: 0.25, failurePolicy: 'Ignore' },
    ],
  ])('%j', (flags, expected) => {
    expect(benchLoadFromFlags(flags)).toMatchObject(expected);
  });

  it.each([
    [{ rate: '10', connections: '4' }, /--rate and --connections exclude each other/],
    [{ connections: '4', maxConnections: '8' }, /--max-connections is for the open loop/],
    [{ duration: '10s', requests: '5' }, /--duration and --requests exclude each other/],
    [{ duration: 'ten' }, /--duration must be a duration/],
    [{ rate: '0' }, /--rate must be at least 0.001/],
    [{ connections: '1.5' }, /--connections must be an integer/],
    [{ timeoutSeconds: '31' }, /--timeout-seconds must be 1–30/],
    [{ timeoutSeconds: '0' }, /--timeout-seconds must be at least 1/],
    [{ dryRunShare: '2' }, /--dry-run-share is a fraction 0–1/],
    [{ failurePolicy: 'fail' }, /--failure-policy must be Fail or Ignore/],
    [{ rate: '1e9' }, /--rate 1000000000 is more than vitictl allows \(50,000\)/],
    [{ connections: '100000' }, /--connections 100000 is more than vitictl allows/],
    [{ maxConnections: '100000' }, /--max-connections 100000 is more than vitictl allows/],
    [{ requests: '1e12' }, /--requests must be an integer/],
    [{ requests: '10000000000' }, /--requests 10000000000 is more than vitictl allows/],
    [{ duration: '25h' }, /--duration 25h is more than vitictl allows/],
    [{ warmup: '2h' }, /--warmup 2h is more than vitictl allows/],
  ])('rejects %j', (flags, message) => {
    expect(() => benchLoadFromFlags(flags)).toThrow(message);
  });

  it('allows the per-generator rate bound once per shard', () => {
    expect(benchLoadFromFlags({ rate: '120000' }, 3).load).toMatchObject({ rate: 120_000 });
    expect(() => benchLoadFromFlags({ rate: '120000' }, 2)).toThrow(
      /--rate 120000 is more than vitictl allows \(100,000\)/,
    );
  });
});
