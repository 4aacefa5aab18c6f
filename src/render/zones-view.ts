import type { ZoneRun } from '../viti/compare-zones.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';

const ms = (value: number | undefined) =>
  value === undefined ? '-' : value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(0)}ms`;
const num = (value: number | undefined) => (value === undefined ? '-' : String(value));

/** The runs of one profile on every availability zone, side by side. Pure. */
export function renderZoneComparison(runs: ZoneRun[], style: Style): string {
  const table = borderlessTable(
    [
      'ZONE',
      'RESULT',
      'OBJECTS',
      'READY',
      'FAILED',
      'CREATE p99',
      'READY p50',
      'READY p99',
      'ACHIEVED',
      'GATES',
    ],
    style,
  );
  for (const run of runs) {
    const result =
      run.exitCode === 0
        ? style.green('passed')
        : run.exitCode === 3
          ? style.red('gate failed')
          : style.red(`exit ${run.exitCode}`);
    table.push([
      run.zone,
      result,
      num(run.objects),
      num(run.ready),
      run.failed ? style.red(String(run.failed)) : num(run.failed),
      ms(run.createP99Ms),
      ms(run.readyP50Ms),
      ms(run.readyP99Ms),
      run.achievedRate === undefined ? '-' : `${run.achievedRate}/s`,
      run.gates === undefined ? '-' : `${run.gatesPassed}/${run.gates}`,
    ]);
  }
  const files = runs.filter((run) => run.runFile).map((run) => `${run.zone}: ${run.runFile}`);
  return `${style.bold('availability zones')}\n${trimLines(table.toString())}\n${files.length > 0 ? `reports: ${files.join(' · ')}\n` : ''}`;
}
