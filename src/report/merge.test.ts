import { describe, expect, it } from 'vitest';
import { at, counts, hdr, shard } from '../../test/helpers/run-fixture.js';
import { VitictlError } from '../errors.js';
import { mergeAndJudge } from '../perf/merge-run.js';
import { mergeShards, type ShardFile } from './merge.js';
import { runResultSchema } from './run-result.js';

/** three shards of 100 objects, distinct latency distributions, started 0, 2 and 4 s after 08:00 */
const values = [0, 1, 2].map((i) => Array.from({ length: 100 }, (_, k) => 100 + i * 500 + k * (i + 1) * 7));
const shards = () => values.map((v, i) => shard(i, v, i * 2));

function refusal(files: ShardFile[]): string {
  try {
    mergeShards(files);
  } catch (error) {
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).exitCode).toBe(2);
    return [(error as VitictlError).message, (error as VitictlError).hint].filter(Boolean).join(' | ');
  }
  throw new Error('merge did not refuse');
}

describe('report merge', () => {
  it('adds counts and merges histograms exactly, as if one process had recorded every value', () => {
    const merged = mergeShards(shards());
    expect(runResultSchema.safeParse(merged).success).toBe(true);
    const apply = merged.apply!;
    expect(apply.counts).toEqual({ ...counts(300, 1) });
    expect(apply.sets[0]!.counts).toEqual(counts(300, 1));
    const all = hdr(values.flat());
    for (const key of ['count', 'p50', 'p90', 'p99', 'p999', 'max'] as const) {
      expect(apply.latency.timeToReady[key], key).toBe(all[key]);
      expect(apply.sets[0]!.latency.timeToReady[key], key).toBe(all[key]);
    }
    // the encoding keeps a minimum only to its bucket (3 significant digits)
    expect(Math.abs(apply.latency.timeToReady.min - all.min) / all.min).toBeLessThan(1e-3);
    expect(apply.errors).toEqual({ '429': 3 });
    expect(apply.retries).toBe(3);
    expect(apply.lateStarts).toBe(3);
    // the stretches add; the CPU wait's share is taken over the sum, not averaged
    expect(apply.pacing).toMatchObject({
      lateStretches: 6,
      lateStretchMs: 60,
      cpuWaitMs: 15,
      cpuWaitShare: 0.25,
    });
    expect(apply.pacing!.lateness.p99).toBe(hdr(values.flat().map((v) => v / 100)).p99);
    expect(apply.failureReasons).toEqual({ boom: 1 });
    expect(apply.failures).toHaveLength(1);
    expect(merged.cleanup!.namespacesDeleted).toEqual(['ns-0', 'ns-1', 'ns-2']);
    expect(merged.cleanup!.found).toBe(merged.cleanup!.deleted);
    expect(merged.cleanup!.errors).toEqual({ '503': 2 });
    expect(merged.cleanup!.retries).toBe(2);
    // the shards wait for their namespaces at the same time: the longest wait is the run's
    expect(merged.cleanup!.namespacesWait).toEqual({ seconds: 2.5, timedOut: false });
    expect(apply.attempts).toEqual({
      retriedObjects: 3,
      maxAttempts: 3,
      throttledObjects: 3,
      throttledSeconds: 1.5,
    });
    expect(merged.scenario.objects).toBe(300);
    expect(merged.shard).toBeUndefined();
    expect(merged.mergedFrom!.map((m) => m.file)).toEqual(['shard-0.json', 'shard-1.json', 'shard-2.json']);
  });

  it('takes rates over the union of the time windows and lines the per-second series up by wall time', () => {
    const merged = mergeShards(shards().reverse());
    const apply = merged.apply!;
    // creation from 08:00:00 (shard 0) to 08:00:14 (shard 2): 300 created in 14 s
    expect(apply.creation).toEqual({ start: at(0), end: at(14), seconds: 14 });
    expect(apply.createThroughput).toBe(21.43);
    expect(apply.achievedRate).toBe(21.43);
    expect(apply.requestedRate).toBe(30);
    expect(apply.series).toEqual([
      { t: 0, created: 10, ready: 0 },
      { t: 1, created: 10, ready: 10 },
      { t: 2, created: 10, ready: 0 },
      { t: 3, created: 10, ready: 10 },
      { t: 4, created: 10, ready: 0 },
      { t: 5, created: 10, ready: 10 },
    ]);
    expect(merged.startedAt).toBe(at(-1));
    expect(merged.endedAt).toBe(at(16));
    expect(merged.phases).toEqual([{ name: 'apply', start: at(0), end: at(14), seconds: 14 }]);
  });

  it('judges the gates again on the merged run', () => {
    const inputs = shards();
    expect(inputs.every(({ result }) => !result.gates![0]!.passed)).toBe(true);
    const { result, warnings } = mergeAndJudge(inputs, undefined, 0.1);
    expect(result.gates!.map((g) => [g.gate, g.value, g.passed])).toEqual([
      ['objects.ready >= 250', 299, true],
    ]);
    expect(warnings).toEqual([]);
  });

  it('a shard count of a billion (an edited file) is a short error, made without listing every shard', () => {
    const [a] = shards() as [ShardFile];
    const huge = { ...a, result: { ...a.result, shard: { ...a.result.shard!, count: 1_000_000_000 } } };
    expect(refusal([huge])).toBe(
      'missing shards 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 999,999,989 more of 1,000,000,000 (run big-1) | have 0 (shard-0.json)',
    );
  });

  it('refuses files that are not all the shards of one run, and says which', () => {
    const [a, b, c] = shards() as [ShardFile, ShardFile, ShardFile];
    expect(refusal([a, b])).toBe(
      'missing shard 2 of 3 (run big-1) | have 0 (shard-0.json), 1 (shard-1.json)',
    );
    expect(refusal([a, b, { ...b, file: 'again.json' }])).toBe(
      'shard 1/3 is given twice: shard-1.json and again.json',
    );
    const other = { file: 'other.json', result: { ...c.result, runId: 'big-2' } };
    expect(refusal([a, b, other])).toMatch(
      /^other\.json is not a shard of the same run as shard-0\.json \| other\.json: run big-2, scenario machines seed 42 .*; shard-0\.json: run big-1/,
    );
    const reseeded = {
      file: 'seed.json',
      result: { ...c.result, scenario: { ...c.result.scenario, seed: 7 } },
    };
    expect(refusal([a, b, reseeded])).toMatch(
      /^seed\.json is not a shard of the same run as shard-0\.json \| seed\.json: run big-1, scenario machines seed 7/,
    );
    const whole = { file: 'whole.json', result: { ...c.result, shard: undefined } };
    expect(refusal([a, whole])).toBe(
      'whole.json is not a shard (it has no shard section) | merge takes the results of runs made with --shard i/N',
    );
    const closed = { ...c, result: { ...c.result, apply: { ...c.result.apply!, mode: 'closed' as const } } };
    expect(refusal([a, b, closed])).toBe(
      'the shards ran different load modes (open and closed loop): not one run',
    );
  });
});
