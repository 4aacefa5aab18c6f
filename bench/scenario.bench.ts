import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, median, root, writeResult } from './lib.js';

/**
 * Generating 100,000 Machines to a file (objects/s, peak RSS), and `vitictl --help` cold start beside
 * `kubectl --help`, both measured in this one run. The YAML emitter alone: emitter.bench.ts.
 */

const OBJECTS = 100_000;
const RUNS = 5;
const HELP_RUNS = 10;

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
