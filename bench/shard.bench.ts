import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labDown, labUp } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/state.js';
import type { RunResult } from '../src/report/run-result.js';
import type { WebhookResult } from '../src/report/sections/webhook.js';
import { makeWebhookCerts } from '../test/helpers/webhook-server.js';
import { must, procUsage } from './apply/proc.js';
import { round } from './apply/stats.js';
import { bin, median, writeResult } from './lib.js';
import { startServer, stopServer } from './webhook.bench.js';

/**
 * Sharding: three local shards vs one process on the same 2-core machine.
 * One operator-less lab (kube-apiserver + etcd, real fsync). Each round, in rotating order:
 *   one    — one vitictl, 64 creates in flight;
 *   split  — three shards (--shard i/3) with --concurrency 64 for the whole run (~21 each);
 *   full   — three shards with --concurrency 192 (~64 each: three times the offered load).
 * All `vitictl apply machines --count 6000 --no-wait`, cleanup on, as child processes. The shards'
 * results go through `vitictl report merge`. The CPU of every process (vitictl, kube-apiserver,
 * etcd) is sampled from /proc every 100 ms and charged to the merged creation window, to say where
 * the limit is: the generator (a vitictl near one core: Node runs on one thread) or the API server.
 * Then the same for webhook load (webhookShards below), where the generator does more per request.
 */

const OBJECTS = 6_000;
/** the webhook part: what one open-loop generator could not reach on this machine (webhook.bench.ts) */
const WEBHOOK_RATE = 5_000;
const WEBHOOK_SECONDS = 10;
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

/**
 * Cores each process used on average between wall times `from` and `to`: its CPU from its first to
 * its last sample inside the window (a shard may start late or exit early), over the whole window.
 */
function coresIn(samples: Sample[], from: number, to: number): Record<string, number> {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  const span = ((inside.at(-1)?.t ?? 0) - (inside[0]?.t ?? 0)) / 1000;
  if (span <= 0) return {};
  const out: Record<string, number> = {};
  const names = new Set(inside.flatMap((sample) => Object.keys(sample.cpu)));
  for (const name of names) {
    const seen = inside.filter((sample) => sample.cpu[name] !== undefined);
    const before = seen[0]!.cpu[name]!;
    const after = seen.at(-1)!.cpu[name]!;
    out[name] = round((after - before) / span, 2);
  }
  return out;
}

/** The cores of every vitictl process together */
function vitictlTotal(cores: Record<string, number>): number {
  const each = Object.entries(cores).filter(([name]) => name.startsWith('vitictl'));
  return round(
    each.reduce((sum, [, value]) => sum + value, 0),
    2,
  );
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
  const vitictlCores = vitictlTotal(cores);
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

interface WebhookShardRow {
  mode: 'one' | 'three';
  round: number;
  requestedRate: number;
  achievedRate: number;
  throughput: number;
  sent: number;
  /** the merged measure window: from the first shard's start to the last shard's end */
  measureSeconds: number;
  keptUp: boolean;
  lateStarts: number | null;
  latencyP50Us: number;
  latencyP99Us: number;
  generatorCpuMs: number;
  generatorCpuMsPer1000: number;
  coresDuringMeasure: Record<string, number>;
  loadAverage: { before: number[]; after: number[] };
}

/**
 * The same question for webhook load, where the generator does more per request (TLS, JSON, an even
 * schedule at 5,000/s): one `webhook bench --rate 5000` vs three `--shard i/3` processes, against the
 * test webhook (Node https, one process) on this machine. Cores from /proc as above, over the merged
 * measure window.
 */
async function webhookShards(dir: string, env: NodeJS.ProcessEnv): Promise<WebhookShardRow[]> {
  const certs = await makeWebhookCerts(join(dir, 'certs'));
  const server = await startServer({ cert: certs.cert, key: certs.key });
  const rows: WebhookShardRow[] = [];
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (const mode of r % 2 === 1 ? (['one', 'three'] as const) : (['three', 'one'] as const)) {
        const runId = `bench-wh-${mode}-${r}`;
        const processes = mode === 'one' ? 1 : 3;
        const pids: Record<string, number> = { webhook: server.child.pid! };
        const watch = sampler(() => pids);
        const loadBefore = load();
        const files = Array.from({ length: processes }, (_, i) => join(dir, `${runId}-${i}.json`));
        const children = files.map((file, i) => {
          const args = [
            'webhook',
            'bench',
            '--url',
            server.url,
            '--ca',
            certs.ca,
            '--rate',
            String(WEBHOOK_RATE),
          ];
          args.push('--duration', `${WEBHOOK_SECONDS}s`, '--run-id', runId, '--out', file, '-q');
          if (processes > 1) args.push('--shard', `${i}/${processes}`);
          const child = startVitictl(args, env);
          pids[`vitictl-${i}`] = child.pid;
          return child;
        });
        await Promise.all(children.map((child) => child.done));
        const samples = watch.stop();
        const result =
          processes === 1
            ? (JSON.parse(readFileSync(files[0]!, 'utf8')) as RunResult)
            : (JSON.parse(
                must('node', [bin, 'report', 'merge', ...files, '-o', 'json'], { env, timeoutMs: 60_000 })
                  .stdout,
              ) as RunResult);
        const webhook = result.webhook as unknown as WebhookResult;
        const measure = result.phases.find((phase) => phase.name === 'webhook-measure')!;
        const cores = coresIn(samples, Date.parse(measure.start), Date.parse(measure.end));
        const vitictl = vitictlTotal(cores);
        const row: WebhookShardRow = {
          mode,
          round: r,
          requestedRate: webhook.load.requestedRate ?? 0,
          achievedRate: webhook.load.achievedRate,
          throughput: webhook.load.throughput,
          sent: webhook.requests.sent,
          measureSeconds: round(measure.seconds, 3),
          keptUp: webhook.generator.keptUp,
          lateStarts: webhook.generator.lateStarts,
          latencyP50Us: webhook.latency.p50,
          latencyP99Us: webhook.latency.p99,
          generatorCpuMs: round(webhook.generator.cpuMs, 0),
          generatorCpuMsPer1000: webhook.generator.cpuMsPer1000Requests,
          coresDuringMeasure: { ...cores, vitictlTotal: vitictl },
          loadAverage: { before: loadBefore, after: load() },
        };
        rows.push(row);
        log(
          `webhook ${mode} round ${r}: ${row.achievedRate}/s of ${WEBHOOK_RATE}, p99 ${row.latencyP99Us} µs, kept up ${row.keptUp}, cores vitictl ${vitictl} webhook ${cores.webhook}`,
        );
        await sleep(1000);
      }
    }
  } finally {
    stopServer(server);
  }
  return rows;
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
    const webhookRows = await webhookShards(dir, env);
    const whMedian = (mode: 'one' | 'three', pick: (row: WebhookShardRow) => number | undefined) =>
      round(median(webhookRows.filter((row) => row.mode === mode).map((row) => pick(row) ?? Number.NaN)), 2);
    const webhook = {
      requestedRate: WEBHOOK_RATE,
      seconds: WEBHOOK_SECONDS,
      summary: Object.fromEntries(
        (['one', 'three'] as const).map((mode) => [
          mode,
          {
            achievedRateMedian: whMedian(mode, (row) => row.achievedRate),
            latencyP99UsMedian: whMedian(mode, (row) => row.latencyP99Us),
            keptUp: webhookRows.filter((row) => row.mode === mode).map((row) => row.keptUp),
            vitictlCoresMedian: whMedian(mode, (row) => row.coresDuringMeasure.vitictlTotal),
            webhookServerCoresMedian: whMedian(mode, (row) => row.coresDuringMeasure.webhook),
          },
        ]),
      ),
      method:
        'node bin/vitictl.js webhook bench --url URL --ca CA --rate 5000 --duration 10s [--shard i/3] --run-id R --out F -q against the test webhook (test/helpers/webhook-server.ts, Node https, no delay) in a child process; achievedRate = starts over the (merged) measure window; latency from the intended start (µs); cores as for apply, over the merged webhook-measure phase',
      rows: webhookRows,
    };
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
      webhook,
    });
  } finally {
    await labDown(join(dir, 'lab'));
    rmSync(dir, { recursive: true, force: true });
  }
}
