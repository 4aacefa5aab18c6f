import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { shard } from '../../test/helpers/run-fixture.js';
import { formatLocation, type VitictlError } from '../errors.js';
import { parseRunResult, type RunResult } from './run-result.js';

const valid = () => JSON.parse(JSON.stringify(shard(0, [100, 200, 300], 0).result)) as RunResult;

function refusal(edit: (run: RunResult) => void): VitictlError {
  const run = valid();
  edit(run);
  return thrownBy(() => parseRunResult(run, 'run.json', { file: 'run.json' }));
}

describe('reading a RunResult checks its invariants', () => {
  it('accepts a consistent run', () => {
    expect(parseRunResult(valid(), 'run.json').apply?.counts.ready).toBe(3);
  });

  it.each<[string, (run: RunResult) => void, RegExp, string]>([
    [
      'ready 1e15 of 3',
      (run) => {
        run.apply!.counts.ready = 1e15;
      },
      /add up to 1000000000000000, not to the total 3/,
      '$.apply.counts',
    ],
    [
      'a negative count',
      (run) => {
        run.apply!.counts.failed = -1;
      },
      /cannot be negative/,
      '$.apply.counts.failed',
    ],
    [
      'a fractional count',
      (run) => {
        run.apply!.counts.ready = 2.5;
      },
      /expected int/,
      '$.apply.counts.ready',
    ],
    [
      'sets that do not add up to the run',
      (run) => {
        run.apply!.sets[0]!.counts = { ...run.apply!.sets[0]!.counts, total: 4, notStarted: 1 };
      },
      /the sets' total add up to 4/,
      '$.apply.counts.total',
    ],
    [
      'a corrupt histogram',
      (run) => {
        run.apply!.latency.timeToReady.encoded = 'HISTFAAAAB';
      },
      /histogram does not decode/,
      '$.apply.latency.timeToReady.encoded',
    ],
    [
      'a corrupt start-lateness histogram',
      (run) => {
        run.apply!.pacing!.lateness.encoded = 'HISTFAAAAB';
      },
      /histogram does not decode/,
      '$.apply.pacing.lateness.encoded',
    ],
    [
      'a histogram count that is not what it holds',
      (run) => {
        run.apply!.sets[0]!.latency.create.count = 7;
      },
      /7, but the histogram holds 3/,
      '$.apply.sets[0].latency.create.count',
    ],
    [
      'unordered percentiles',
      (run) => {
        run.apply!.latency.create.p50 = 1e9;
      },
      /p90 .* is below p50/,
      '$.apply.latency.create.p90',
    ],
  ])('refuses %s, naming the file and the JSON path', (_, edit, message, path) => {
    const error = refusal(edit);
    expect(error.kind).toBe('input');
    expect(error.message).toMatch(message);
    expect(formatLocation(error.location)).toBe(`run.json: ${path}`);
  });
});
