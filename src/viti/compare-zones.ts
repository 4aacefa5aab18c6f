import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRunResult } from '../cli/run-files.js';
import type { LatencySummary } from '../report/histogram.js';

/** One zone's run of a profile, side by side with the others'. Every number comes from its run.json. */
export interface ZoneRun {
  zone: string;
  exitCode: number;
  runFile: string | undefined;
  server?: string;
  objects?: number;
  ready?: number;
  failed?: number;
  createP99Ms?: number;
  readyP50Ms?: number;
  readyP99Ms?: number;
  achievedRate?: number;
  gatesPassed?: number;
  gates?: number;
}

const p = (summary: LatencySummary, key: 'p50' | 'p99') => (summary.count === 0 ? undefined : summary[key]);

export async function compareZones(
  runs: Array<{ zone: string; exitCode: number; outDir: string }>,
): Promise<ZoneRun[]> {
  const out: ZoneRun[] = [];
  for (const run of runs) {
    const file = join(run.outDir, 'run.json');
    if (!existsSync(file)) {
      out.push({ zone: run.zone, exitCode: run.exitCode, runFile: undefined });
      continue;
    }
    const result = await readRunResult(file);
    const apply = result.apply;
    const gates = result.gates ?? [];
    const row: ZoneRun = {
      zone: run.zone,
      exitCode: run.exitCode,
      runFile: file,
      server: result.target.server,
      objects: result.scenario.objects,
      gatesPassed: gates.filter((gate) => gate.passed).length,
      gates: gates.length,
    };
    if (apply) {
      Object.assign(row, {
        ready: apply.counts.ready,
        failed: apply.counts.failed,
        createP99Ms: p(apply.latency.create, 'p99'),
        readyP50Ms: p(apply.latency.timeToReady, 'p50'),
        readyP99Ms: p(apply.latency.timeToReady, 'p99'),
        achievedRate: apply.achievedRate,
      });
    }
    out.push(row);
  }
  return out;
}
