import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { shard } from '../../test/helpers/run-fixture.js';
import { parseRunResult, RUN_RESULT_VERSION } from './run-result.js';

/** A version 1 file as vitictl 0.1 wrote it: the same run, ms summaries without p9999. */
function asVersion1(json: string): Record<string, unknown> {
  return JSON.parse(json, function (this: unknown, key, value: unknown) {
    if (key === 'schemaVersion') return 1;
    if (value && typeof value === 'object' && (value as { unit?: unknown }).unit === 'ms') {
      const { p9999: _dropped, ...v1 } = value as Record<string, unknown>;
      return v1;
    }
    return value;
  }) as Record<string, unknown>;
}

describe('reading RunResult files of every version', () => {
  const current = shard(0, [100, 200, 300, 5000], 0).result;

  it('reads a version 1 file as the same run: p9999 comes from each histogram', () => {
    const v1 = asVersion1(JSON.stringify(current));
    expect(JSON.stringify(v1)).not.toContain('p9999');
    const read = parseRunResult(v1, 'run.json');
    expect(read.schemaVersion).toBe(RUN_RESULT_VERSION);
    expect(read).toEqual(current);
    // the top value, at the histogram's precision (3 significant digits)
    expect(read.apply!.latency.timeToReady.p9999).toBeCloseTo(5000, -1);
  });

  it('a version 1 file with a histogram that does not decode is refused at its JSON path', () => {
    const v1 = asVersion1(JSON.stringify(current)) as { apply: { latency: { create: { encoded: string } } } };
    v1.apply.latency.create.encoded = 'not a histogram';
    const error = thrownBy(() => parseRunResult(v1, 'run.json'));
    expect(error.exitCode).toBe(2);
    expect(error.location?.jsonPath).toBe('$.apply.latency.create.encoded');
  });

  it('an unknown version is refused, naming the field', () => {
    const error = thrownBy(() => parseRunResult({ ...current, schemaVersion: 3 }, 'run.json'));
    expect(error.message).toBe('run.json is schemaVersion 3: this vitictl reads versions 1 to 2');
    expect(error.location?.jsonPath).toBe('$.schemaVersion');
    expect(error.hint).toMatch(/newer vitictl/);
  });
});

describe('a run.json from elsewhere', () => {
  it('has the credentials in its URLs redacted as it is read: vitictl never shows them', () => {
    const raw = JSON.parse(JSON.stringify(shard(0, [100, 200], 0).result)) as {
      target: { server: string };
    };
    raw.target.server = 'https://admin:s3cret@127.0.0.1:6443/?token=abc123';
    const run = parseRunResult(raw, 'run.json');
    expect(run.target.server).toBe('https://REDACTED@127.0.0.1:6443/?token=REDACTED');
  });

  it('is refused when it ends before it started, or its times are not times, naming the field', () => {
    const run = shard(0, [100, 200], 0).result;
    const backwards = thrownBy(() =>
      parseRunResult(
        { ...run, startedAt: '2026-01-02T00:00:00Z', endedAt: '2026-01-01T00:00:00Z' },
        'run.json',
      ),
    );
    expect(backwards.exitCode).toBe(2);
    expect(backwards.location?.jsonPath).toBe('$.endedAt');
    expect(backwards.message).toMatch(/2026-01-01T00:00:00Z is before startedAt 2026-01-02T00:00:00Z/);
    const notATime = thrownBy(() => parseRunResult({ ...run, startedAt: 'yesterday' }, 'run.json'));
    expect(notATime.location?.jsonPath).toBe('$.startedAt');
    expect(notATime.message).toMatch(/"yesterday" is not a time/);
    // Date.parse reads February 30 as March 2
    const noSuchDay = thrownBy(() =>
      parseRunResult({ ...run, startedAt: '2026-02-30T00:00:00Z' }, 'run.json'),
    );
    expect(noSuchDay.location?.jsonPath).toBe('$.startedAt');
    const phases = [{ ...run.phases[0]!, start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' }];
    const phaseBackwards = thrownBy(() => parseRunResult({ ...run, phases }, 'run.json'));
    expect(phaseBackwards.location?.jsonPath).toBe('$.phases[0].end');
  });
});
