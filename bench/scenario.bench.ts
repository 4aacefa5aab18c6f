import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { toYaml } from '../src/util/yaml-emit.js';
import { bin, median, root, writeResult } from './lib.js';

/**
 * Generating 100,000 Machines to a file (objects/s, peak RSS); our YAML emitter beside the `yaml`
 * package (the library we did not use) serialising the same objects; and `vitictl --help` cold start
 * beside `kubectl --help`, all measured in this one run (`npm run bench -- scenario`).
 */

const OBJECTS = 100_000;
const RUNS = 5;
const HELP_RUNS = 10;
const SERIALISE_RUNS = 5;

function timeRun(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return elapsed;
}

export async function benchScenario(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-'));
  const loadBefore = loadavg()[0];
  try {
    const out = join(dir, 'machines.yaml');
    const rssFile = join(dir, 'rss');
    const generate: Array<{ ms: number; rssMiB: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const ms = timeRun(
        'node',
        [
          '--import',
          join(root, 'bench/rss-hook.mjs'),
          bin,
          'scenario',
          'generate',
          'machines',
          '--count',
          String(OBJECTS),
          '--out',
          out,
        ],
        {
          ...process.env,
          VITICTL_BENCH_RSS_FILE: rssFile,
        },
      );
      generate.push({ ms, rssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024 });
    }
    const bytes = statSync(out).size;

    // the emitter and its baseline, the `yaml` package's stringify, on the same 10,000 objects in-process
    const sample = 10_000;
    const json = execFileSync(
      'node',
      [bin, 'scenario', 'generate', 'machines', '--count', String(sample), '-o', 'json'],
      {
        cwd: root,
        maxBuffer: 1 << 30,
      },
    ).toString();
    const items = (JSON.parse(json) as { items: unknown[] }).items;
    const serialiseMs = (serialise: (item: unknown) => string) =>
      median(
        Array.from({ length: SERIALISE_RUNS }, () => {
          const start = performance.now();
          for (const item of items) serialise(item);
          return performance.now() - start;
        }),
      );
    const yamlRate = items.length / (serialiseMs((item) => stringify(item)) / 1000);
    const emitterRate = items.length / (serialiseMs(toYaml) / 1000);

    const medianMs = median(generate.map((run) => run.ms));
    const vitictlRate = OBJECTS / (medianMs / 1000);

    const help: number[] = [];
    const kubectlHelp: number[] = [];
    let kubectl = true;
    for (let i = 0; i < HELP_RUNS; i++) {
      help.push(timeRun('node', [bin, '--help']));
      try {
        kubectlHelp.push(timeRun('kubectl', ['--help']));
      } catch {
        kubectl = false;
      }
    }

    return writeResult('scenario', {
      generate: {
        objects: OBJECTS,
        runs: RUNS,
        medianSeconds: +(medianMs / 1000).toFixed(3),
        objectsPerSecond: Math.round(vitictlRate),
        peakRssMiB: Math.round(Math.max(...generate.map((run) => run.rssMiB))),
        outputMiB: +(bytes / 2 ** 20).toFixed(1),
        note: 'whole CLI process: start, expand, serialise, write, rename',
        targets: { objectsPerSecond: 50_000, peakRssMiB: 300 },
      },
      emitter: {
        objects: items.length,
        runs: SERIALISE_RUNS,
        objectsPerSecond: Math.round(emitterRate),
        baselineYamlPackageObjectsPerSecond: Math.round(yamlRate),
        speedup: +(emitterRate / yamlRate).toFixed(1),
        note: 'toYaml (src/util/yaml-emit.ts) and yaml.stringify on the same already-generated objects, serialisation only, in-process, median of runs',
      },
      helpColdStart: {
        runs: HELP_RUNS,
        vitictlMedianMs: +median(help).toFixed(1),
        kubectlMedianMs: kubectl ? +median(kubectlHelp).toFixed(1) : null,
        ratio: kubectl ? +(median(help) / median(kubectlHelp)).toFixed(2) : null,
        target: { vitictlMedianMs: 150 },
      },
      // the machine is shared: a run under load says so
      loadAverage1m: { before: loadBefore, after: loadavg()[0] },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
