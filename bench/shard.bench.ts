import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labUp } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/state.js';
import type { RunResult } from '../src/report/run-result.js';
import { must, procUsage } from './apply/proc.js';
import { round } from './apply/stats.js';
import { bin, median, writeResult } from './lib.js';

/**
 * Issue 9's "Performance (bench)": three local shards vs one process on the same 2-core machine.
 * One operator-less lab (kube-apiserver + etcd, real fsync). Each round, in rotating order:
 *   one    — one vitictl, 64 creates in flight;
 *   split  — three shards (--shard i/3) with --concurrency 64 for the whole run (~21 each);
 *   full   — three shards with --concurrency 192 (~64 each: three times the offered load).
 * All `vitictl apply machines --count 6000 --no-wait`, cleanup on, as child processes. The shards'
 * results go through `vitictl report merge`. The CPU of every process (vitictl, kube-apiserver,
 * etcd) is sampled from /proc every 100 ms and charged to the merged creation window, to say where
 * the limit is: the generator (a vitictl near one core: Node runs on one thread) or the API server.
 */

const OBJECTS = 6_000;
const ROUNDS = 3;
const MODES = ['one', 'split', 'full'] as const;
type Mode = (typeof MODES)[number];
const SAMPLE_MS = 100;
const RUN_TIMEOUT_MS = 10 * 60_000;

const load = () => loadavg().map((value) => round(value, 2));
const log = (line: string) => process.stderr.write(`  ${line}\n`);

interface Sample {
  t: number;
  cpu: Record<string, number>;
}

/** CPU seconds of each named pid, every SAMPLE_MS, until stopped. */
function sampler(pids: () => Record<string, number>) {
  const samples: Sample[] = [];
  const take = () => {
    const cpu: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids())) {
      const usage = procUsage(pid);
      if (usage) cpu[name] = usage.userSeconds + usage.systemSeconds;
    }
    samples.push({ t: Date.now(), cpu });
  };
  take();
  const timer = setInterval(take, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Cores each process used between wall times `from` and `to` (nearest samples inside the window). */
function coresIn(samples: Sample[], from: number, to: number): Record<string, number> {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last || last.t <= first.t) return {};
  const out: Record<string, number> = {};
  for (const name of Object.keys(last.cpu)) {
    const before = first.cpu[name];
    const after = last.cpu[name];
    if (before !== undefined && after !== undefined)
      out[name] = round((after - before) / ((last.t - first.t) / 1000), 2);
  }
  return out;
}

function startVitictl(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn('node', [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS);
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`vitictl ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
  return { pid: child.pid!, done };
}

async function runMode(mode: Mode, round_: number, state: LabState, dir: string, env: NodeJS.ProcessEnv) {
  const runId = `bench-shard-${mode}-${round_}`;
  const processes = mode === 'one' ? 1 : 3;
  const concurrency = mode === 'full' ? 192 : 64;
  const pids: Record<string, number> = {
    apiserver: state.components.apiserver.pid,
    etcd: state.components.etcd.pid,
  };
  const watch = sampler(() => pids);
  const loadBefore = load();
  const files = Array.from({ length: processes }, (_, i) => join(dir, `${runId}-${i}.json`));
  const started = Date.now();
  const children = files.map((file, i) => {
    const args = [
      'apply',
      'machines',
      '--count',
      String(OBJECTS),
      '--no-wait',
      '--concurrency',
      String(concurrency),
    ];
    args.push('--run-id', runId, '--out', file, '-q');
    if (processes > 1) args.push('--shard', `${i}/${processes}`);
    const child = startVitictl(args, env);
    pids[`vitictl-${i}`] = child.pid;
    return child;
  });
  await Promise.all(children.map((child) => child.done));
  const wallSeconds = (Date.now() - started) / 1000;
  const samples = watch.stop();
  const result: RunResult =
    processes === 1
      ? (JSON.parse(readFileSync(files[0]!, 'utf8')) as RunResult)
      : (JSON.parse(
          must('node', [bin, 'report', 'merge', ...files, '-o', 'json'], { env, timeoutMs: 60_000 }).stdout,
        ) as RunResult);
  const apply = result.apply!;
  const from = Date.parse(apply.creation.start);
  const to = Date.parse(apply.creation.end);
  const cores = coresIn(samples, from, to);
  const vitictlCores = round(
    Object.entries(cores)
      .filter(([name]) => name.startsWith('vitictl'))
      .reduce((sum, [, value]) => sum + value, 0),
    2,
  );
  const row = {
    mode,
    round: round_,
    processes,
    concurrency,
    createThroughput: apply.createThroughput,
    created: apply.counts.created,
    creationSeconds: round(apply.creation.seconds, 3),
    createLatencyMs: { p50: apply.latency.create.p50, p99: apply.latency.create.p99 },
    errors: apply.errors,
    retries: apply.retries,
    wallSeconds: round(wallSeconds, 2),
    coresDuringCreation: { ...cores, vitictlTotal: vitictlCores } as Record<string, number>,
    loadAverage: { before: loadBefore, after: load() },
  };
  log(
    `${mode} round ${round_}: ${apply.createThroughput}/s, cores vitictl ${vitictlCores} apiserver ${cores.apiserver} etcd ${cores.etcd}`,
  );
  return row;
}

export async function benchShard(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-shard-'));
  const loadStart = load();
  const began = Date.now();
  try {
    const { state } = await labUp({ dir: join(dir, 'lab'), operator: false, webhook: false }, () => {});
    const env = { ...process.env, KUBECONFIG: state.kubeconfig, NO_COLOR: '1' };
    const rows: Awaited<ReturnType<typeof runMode>>[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      // rotate the order so that drift in the machine's load does not favour one mode
      const order = MODES.map((_, i) => MODES[(i + r - 1) % MODES.length]!);
      for (const mode of order) {
        rows.push(await runMode(mode, r, state, dir, env));
        await sleep(2000);
      }
    }
    const by = (mode: Mode) => rows.filter((row) => row.mode === mode);
    const med = (mode: Mode, pick: (row: (typeof rows)[number]) => number | undefined) =>
      round(median(by(mode).map((row) => pick(row) ?? Number.NaN)), 2);
    const summary = Object.fromEntries(
      MODES.map((mode) => [
        mode,
        {
          createThroughputMedian: med(mode, (row) => row.createThroughput),
          vitictlCoresMedian: med(mode, (row) => row.coresDuringCreation.vitictlTotal),
          apiserverCoresMedian: med(mode, (row) => row.coresDuringCreation.apiserver),
          etcdCoresMedian: med(mode, (row) => row.coresDuringCreation.etcd),
        },
      ]),
    );
    const ratio = (mode: Mode) =>
      round(
        median(
          Array.from({ length: ROUNDS }, (_, i) => {
            const one = rows.find((row) => row.mode === 'one' && row.round === i + 1)!;
            const other = rows.find((row) => row.mode === mode && row.round === i + 1)!;
            return other.createThroughput / one.createThroughput;
          }),
        ),
        3,
      );
    return writeResult('shard', {
      loadAverage: { start: loadStart, end: load() },
      totalMinutes: round((Date.now() - began) / 60_000, 1),
      conditions:
        'one operator-less lab on 127.0.0.1 (kube-apiserver v1.37.2 + etcd, real fsync); every vitictl a child process (node bin/vitictl.js apply machines --count 6000 --no-wait --concurrency C [--shard i/3] --run-id R --out F -q, cleanup on); the lab, the shards and the bench share 2 cores',
      summary,
      ratios: {
        splitOverOne: ratio('split'),
        fullOverOne: ratio('full'),
        note: 'per round (same machine state), then the median over rounds; createThroughput of the merged result (report merge) for the shards',
      },
      method:
        'createThroughput: acknowledged creates / (first send → last acknowledgement), over the union of the shards’ windows after report merge. coresDuringCreation: CPU seconds (utime+stime from /proc/<pid>/stat, sampled every 100 ms) of each vitictl, kube-apiserver and etcd between the first and last sample inside the merged creation window, divided by that time: 1.0 = one core busy',
      rows,
    });
  } finally {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  }
}
