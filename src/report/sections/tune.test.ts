import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tuneResultSchema } from './tune.js';

/** The tune section of a run.json written before the model had the API server and sizing. */
const old = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/smoke-run.json', import.meta.url), 'utf8'),
).tune;

describe('the tune section', () => {
  it('reads the first shape: seconds become ms, measured moves up, the new parts are empty', () => {
    const tune = tuneResultSchema.parse(structuredClone(old));
    expect(tune.measured?.p99Ms).toBeCloseTo(old.prediction.measured.p99 * 1000, 6);
    expect(tune.prediction?.current?.p50Ms).toBeCloseTo(old.prediction.current.p50 * 1000, 6);
    expect(tune.prediction?.recommended?.p99Ms).toBeCloseTo(old.prediction.recommended.p99 * 1000, 6);
    expect(tune.prediction?.validity).toBeNull();
    expect(tune.diagnosis).toMatchObject({ bottleneck: 'client-qps', evidence: {}, instead: [] });
    expect(tune.sizing).toBeNull();
  });

  it('reads server-throttling as the API server', () => {
    const section = structuredClone(old);
    section.diagnosis.bottleneck = 'server-throttling';
    expect(tuneResultSchema.parse(section).diagnosis.bottleneck).toBe('apiserver');
  });

  it('leaves the current shape as it is', () => {
    const current = tuneResultSchema.parse(structuredClone(old));
    expect(tuneResultSchema.parse(structuredClone(current))).toEqual(current);
  });
});
