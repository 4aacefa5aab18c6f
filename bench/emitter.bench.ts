import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { stringify } from 'yaml';
import { toYaml } from '../src/util/yaml-emit.js';
import { bin, median, root, writeResult } from './lib.js';

/**
 * The manifest YAML emitter (src/util/yaml-emit.ts) beside the `yaml` package's stringify, the library
 * we did not use, on the same generated Machines in this process: serialisation only. The two take
 * turns, run by run, so load on a shared machine falls on both alike.
 */

const MACHINES = 10_000;
const RUNS = 7;

function timeAll(items: unknown[], serialise: (item: unknown) => string): number {
  const start = performance.now();
  for (const item of items) serialise(item);
  return performance.now() - start;
}

export async function benchEmitter(): Promise<string> {
  const loadBefore = loadavg()[0];
  const json = execFileSync(
    'node',
    [bin, 'scenario', 'generate', 'machines', '--count', String(MACHINES), '-o', 'json'],
    { cwd: root, maxBuffer: 1 << 30 },
  ).toString();
  const items = (JSON.parse(json) as { items: unknown[] }).items;
  const emitterMs: number[] = [];
  const yamlMs: number[] = [];
  timeAll(items, toYaml); // warm-up
  timeAll(items, (item) => stringify(item));
  for (let run = 0; run < RUNS; run++) {
    emitterMs.push(timeAll(items, toYaml));
    yamlMs.push(timeAll(items, (item) => stringify(item)));
  }
  const rate = (runs: number[]) => Math.round(items.length / (median(runs) / 1000));
  return writeResult('emitter', {
    objects: items.length,
    runs: RUNS,
    emitterObjectsPerSecond: rate(emitterMs),
    yamlPackageObjectsPerSecond: rate(yamlMs),
    // each run's ratio, then their median: a burst of load spoils one pair, not the comparison
    speedup: +median(yamlMs.map((ms, run) => ms / emitterMs[run]!)).toFixed(1),
    runsMs: {
      emitter: emitterMs.map((ms) => +ms.toFixed(1)),
      yamlPackage: yamlMs.map((ms) => +ms.toFixed(1)),
    },
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
    note: `toYaml and yaml.stringify on the same ${items.length} objects (${MACHINES} Machines and their Namespaces from scenario generate machines), in-process, ${RUNS} runs taken in turns after one warm-up each; rates from the median run, speedup the median of the per-run ratios`,
  });
}
