import type { GateResult, RunResult } from '../../report/run-result.js';
import { baselineGates } from './baseline.js';
import { evaluateGate } from './evaluate.js';
import { parseGate } from './grammar.js';

/**
 * Gates of a merged run: each shard judged its own part; the verdicts that count are taken again on
 * the whole. Plain gates are re-parsed from their text; baseline gates need the baseline itself.
 */
export function regate(
  merged: RunResult,
  shardGates: GateResult[],
  baseline: RunResult | undefined,
  maxRegression: number,
): { gates: GateResult[]; warnings: string[] } {
  const texts = [...new Set(shardGates.filter((gate) => !gate.baseline).map((gate) => gate.gate))];
  const gates = texts.map((text) => evaluateGate(parseGate(text), merged));
  const warnings: string[] = [];
  if (baseline) gates.push(...baselineGates(merged, baseline, maxRegression));
  else if (shardGates.some((gate) => gate.baseline)) {
    warnings.push('the shards had baseline gates: pass --baseline FILE to judge the merged run against it');
  }
  return { gates, warnings };
}
