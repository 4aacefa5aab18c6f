import { describe, expect, it } from 'vitest';
import { quietWatch } from '../../../test/helpers/run-fixture.js';
import { VitictlError } from '../../errors.js';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import type { RunResult } from '../../report/run-result.js';
import { baselineGates, quantileNoise } from './baseline.js';
import { evaluateGate } from './evaluate.js';
import { parseGate } from './grammar.js';

function summary(values: number[]) {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return summarize(h);
}

function run(
  ready: number[],
  options: { rate?: number; sent?: number; requested?: number; createFailures?: number } = {},
): RunResult {
  const total = ready.length;
  const failures = Array.from({ length: options.createFailures ?? 0 }, (_, i) => ({
    kind: 'Machine',
    name: `m${i}`,
    stage: 'create' as const,
    reason: '500',
  }));
  return {
    apply: {
      mode: 'open',
      requestedRate: options.requested ?? 100,
      burst: 1,
      concurrency: null,
      achievedRate: options.sent ?? options.rate ?? 99,
      createThroughput: 99,
      completedRate: options.rate ?? 99,
      maxStartsIn100ms: 10,
      lateStarts: 0,
      creation: { start: '', end: '', seconds: 1 },
      counts: {
        total,
        ready: total,
        failed: failures.length,
        timedOut: 0,
        notWaited: 0,
        interrupted: 0,
        notStarted: 0,
        created: total,
      },
      sets: [],
      latency: {
        create: summary([5, 6, 7]),
        timeToReady: summary(ready),
        serverTimeToReady: summary([]),
        watchLag: summary([1]),
      },
      errors: {},
      retries: 0,
      attempts: { retriedObjects: 0, maxAttempts: 1, throttledObjects: 0, throttledSeconds: 0 },
      failures,
      failureReasons: {},
      series: Array.from({ length: 12 }, (_, t) => ({ t, created: 100, ready: 100 })),
      watch: quietWatch,
    },
  } as unknown as RunResult;
}

const uniform = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('gates', () => {
  it('parses durations, percentages and relative thresholds', () => {
    expect(parseGate('ready.p99 < 30s')).toMatchObject({
      metric: 'ready.p99',
      op: '<',
      right: { value: 30_000 },
    });
    expect(parseGate('create.errorRate < 1%')).toMatchObject({ right: { value: 1 } });
    expect(parseGate('achievedRate >= 0.95 * requestedRate')).toMatchObject({
      op: '>=',
      right: { factor: 0.95, metric: 'requestedRate' },
    });
  });

  it.each([
    ['ready.p98 < 1s', /unknown metric "ready.p98"/],
    ['ready.p99 30s', /no comparison/],
    ['ready.p99 < soon', /"soon" is not a duration/],
    ['achievedRate > 5%', /not a percentage/],
    ['ready.p99 <', /no threshold after "<"/],
    ['ready.p99 <   ', /no threshold after "<"/],
    ['ready.p99 < 3 parsecs', /"3 parsecs" is not a duration/],
    ['ready.p99 < 30s garbage', /"30s garbage" is not a duration/],
    ['create.errorRate < 1% or so', /not a number in %/],
    ['achievedRate >= . * requestedRate', /"\." is not a number/],
    ['achievedRate >= 0.9 * wishfulRate', /unknown metric "wishfulRate"/],
    ['objects.failed == 0x10', /not a number/],
  ])('rejects %j clearly', (text, message) => {
    expect(() => parseGate(text)).toThrow(VitictlError);
    expect(() => parseGate(text)).toThrow(message);
  });

  it('evaluates against a run and says by how much a gate failed', () => {
    const r = run(uniform(1000, 100, 2000), { rate: 90, requested: 100 });
    const p99 = evaluateGate(parseGate('ready.p99 < 1s'), r);
    expect(p99.passed).toBe(false);
    expect(p99.message).toMatch(/^ready\.p99 = 1\.98s, 981ms over 1\.00s$/);
    expect(evaluateGate(parseGate('achievedRate >= 0.95 * requestedRate'), r)).toMatchObject({
      passed: false,
      threshold: 95,
      value: 90,
    });
    // sent at the requested rate, but the cluster completed 90/s: the rate gate fails on what completed
    const behind = run(uniform(100, 1, 2), { sent: 100, rate: 90, requested: 100 });
    expect(evaluateGate(parseGate('achievedRate >= 0.95 * requestedRate'), behind).passed).toBe(false);
    expect(evaluateGate(parseGate('sentRate >= 0.95 * requestedRate'), behind).passed).toBe(true);
    expect(
      evaluateGate(parseGate('create.errorRate < 1%'), run(uniform(100, 1, 2), { createFailures: 2 })),
    ).toMatchObject({ passed: false, value: 2 });
  });

  it('reads webhook percentiles from the µs summary in milliseconds', () => {
    const h = newHistogram();
    for (let i = 0; i < 100; i++) h.recordValue(i < 98 ? 300 : 24_000);
    const r = { ...run([1, 2, 3]), webhook: { latency: summarize(h, 'us') } } as unknown as RunResult;
    const p99 = evaluateGate(parseGate('webhook.p99 < 25ms'), r);
    expect(p99.passed).toBe(true);
    expect(p99.value).toBeCloseTo(24, 1);
    expect(evaluateGate(parseGate('webhook.p50 < 250us'), r).passed).toBe(false);
  });

  it('fails a gate whose metric the run did not measure', () => {
    expect(evaluateGate(parseGate('controller.reconcile.p95 < 2s'), run([1, 2, 3]))).toMatchObject({
      passed: false,
      value: null,
      message: 'controller.reconcile.p95 was not measured in this run',
    });
  });
});

describe('baseline comparison with measured noise', () => {
  it("measures a percentile's noise from the sample: more data, a narrower interval", () => {
    const small = quantileNoise(summary(uniform(100, 0, 1000)), 0.99);
    const large = quantileNoise(summary(uniform(100_000, 0, 1000)), 0.99);
    expect(large).toBeLessThan(small);
    expect(large).toBeGreaterThan(0);
  });

  it('passes an unchanged re-run and flags an injected regression', () => {
    const base = run(uniform(2000, 100, 500));
    const same = run(uniform(2000, 101, 505));
    const slower = run(uniform(2000, 100, 500).map((v) => v * 1.6));
    expect(baselineGates(same, base, 0.1).every((g) => g.passed)).toBe(true);
    const flagged = baselineGates(slower, base, 0.1).filter((g) => !g.passed);
    expect(flagged.map((g) => g.metric)).toEqual(['ready.p50', 'ready.p99']);
    expect(flagged[0]!.message).toMatch(/% worse; noise ±.*: regression$/);
  });
});
