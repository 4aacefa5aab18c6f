import { mergeShards, type ShardFile } from '../report/merge.js';
import type { RunResult } from '../report/run-result.js';
import { regate } from './gates/regate.js';

/** Shards → one run, its gates judged again on the whole (report merge and perf collect). */
export function mergeAndJudge(
  shards: ShardFile[],
  baseline: RunResult | undefined,
  maxRegression: number,
): { result: RunResult; warnings: string[] } {
  const result = mergeShards(shards);
  const shardGates = shards.flatMap(({ result: shard }) => shard.gates ?? []);
  if (shardGates.length === 0 && !baseline) return { result, warnings: [] };
  const { gates, warnings } = regate(result, shardGates, baseline, maxRegression);
  result.gates = gates;
  return { result, warnings };
}
