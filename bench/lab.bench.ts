import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { buildLab } from '../src/lab/build.js';
import { labDown, labUp } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/state.js';
import { toYaml } from '../src/util/yaml-emit.js';
import { median, root, writeResult } from './lib.js';

/**
 * The lab: build times (warm; cold only with VITICTL_BENCH_COLD=1),
 * lab start time (labUp → returns, real fsync), and the reference operator's sustained reconcile
 * rate for 1,000 Machines with workers 1 vs workers 8. Every request goes to 127.0.0.1 (the lab).
 */

const BUILD_RUNS = 3;
const START_RUNS = 3;
const MACHINES = 1_000;
const IN_FLIGHT = 16;
const NAMESPACE = 'default';
const WAIT_MS = 10 * 60_000;
const READY_AT = 'lab.vitictl.io/ready-at';

const quiet = () => {};

function hrMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const round = (value: number, digits = 3) => +value.toFixed(digits);

// ---------------------------------------------------------------------------------------------
// 1. build times

async function warmBuild() {
  await buildLab(quiet); // make sure everything is cached before timing
  const runs: number[] = [];
  for (let i = 0; i < BUILD_RUNS; i++) {
    const start = process.hrtime.bigint();
    await buildLab(quiet);
    runs.push(hrMs(start));
  }
  return {
    runs: BUILD_RUNS,
    medianSeconds: round(median(runs) / 1000),
    runsSeconds: runs.map((ms) => round(ms / 1000)),
    note: 'buildLab() in-process with every binary cached: build.sh fast path (--version of both binaries) + hashing the operator sources; median of 3 after one untimed call',
  };
}

function goEnv(name: string): string {
  const go = spawnSync('go', ['env', name], { encoding: 'utf8' });
  if (go.status === 0) return go.stdout.trim();
  const fallback = spawnSync('/usr/local/go/bin/go', ['env', name], { encoding: 'utf8' });
  if (fallback.status !== 0) throw new Error(`go env ${name} failed: ${fallback.stderr}`);
  return fallback.stdout.trim();
}

function goBinary(): string {
  return spawnSync('go', ['version']).status === 0 ? 'go' : '/usr/local/go/bin/go';
}

function coldBuild() {
  if (process.env.VITICTL_BENCH_COLD !== '1') {
    return {
      cold: null,
      coldNote:
        'not measured (takes ~10 minutes of 2 cores); run with VITICTL_BENCH_COLD=1 to measure build.sh + operator go build with a fresh temp XDG_CACHE_HOME and GOCACHE (module cache kept)',
    };
  }
  const gomodcache = goEnv('GOMODCACHE');
  const xdg = mkdtempSync(join(tmpdir(), 'vitictl-bench-xdg-'));
  const gocache = mkdtempSync(join(tmpdir(), 'vitictl-bench-gocache-'));
  const out = mkdtempSync(join(tmpdir(), 'vitictl-bench-operator-'));
  const env = { ...process.env, XDG_CACHE_HOME: xdg, GOCACHE: gocache, GOMODCACHE: gomodcache };
  try {
    let start = process.hrtime.bigint();
    const cp = spawnSync('bash', [join(root, 'lab/controlplane/build.sh')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const controlPlaneMs = hrMs(start);
    if (cp.status !== 0) throw new Error(`cold build.sh failed: ${String(cp.stderr).slice(-2000)}`);

    start = process.hrtime.bigint();
    const op = spawnSync(goBinary(), ['build', '-trimpath', '-o', join(out, 'operator'), '.'], {
      cwd: join(root, 'lab/operator'),
      env: { ...env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const operatorMs = hrMs(start);
    if (op.status !== 0) throw new Error(`cold operator build failed: ${String(op.stderr).slice(-2000)}`);
    return {
      cold: {
        controlPlaneSeconds: round(controlPlaneMs / 1000, 1),
        operatorSeconds: round(operatorMs / 1000, 1),
        totalSeconds: round((controlPlaneMs + operatorMs) / 1000, 1),
        note: `lab/controlplane/build.sh (kube-apiserver + etcd) with a fresh temp XDG_CACHE_HOME and a fresh temp GOCACHE, then the operator's go build into a temp dir with that same GOCACHE (as in a first buildLab, so packages shared with kube-apiserver are already compiled); GOMODCACHE kept as is (${gomodcache}), so no module downloads; one run each; temp dirs deleted afterwards`,
      },
      coldNote: undefined,
    };
  } finally {
    for (const dir of [xdg, gocache, out]) {
      // the Go build cache is written read-only
      spawnSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 2. lab start time

async function startTimes() {
  const runs: Array<{ seconds: number; phases: Record<string, number> }> = [];
  for (let i = 0; i < START_RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-lab-'));
    const marks: Array<{ line: string; ms: number }> = [];
    const start = process.hrtime.bigint();
    try {
      await labUp({ dir, unsafeNoFsync: false }, (line) => marks.push({ line, ms: hrMs(start) }));
      const total = hrMs(start);
      // phases: buildLab (cached) until the first line after it, then from one progress line to the
      // next (the last one to labUp's return); build.sh's own progress lines are folded into buildLab
      const steps = marks.filter((mark) => !/^\d+s /.test(mark.line));
      const phases: Record<string, number> = { 'buildLab (cached)': round((steps[0]?.ms ?? total) / 1000) };
      steps.forEach((mark, index) => {
        const end = steps[index + 1]?.ms ?? total;
        const key = mark.line.replace(/ on 127\.0\.0\.1:\d+| \(metrics.*\)$/g, '');
        phases[key] = round((end - mark.ms) / 1000);
      });
      runs.push({ seconds: round(total / 1000), phases });
    } finally {
      await labDown(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    runs: START_RUNS,
    medianSeconds: round(median(runs.map((run) => run.seconds))),
    perRun: runs,
    note: 'labUp() → returns (etcd healthy, kube-apiserver /readyz and default namespace, CRDs Established, performance ConfigMap, operator /readyz, webhook registered), binaries cached, real fsync (unsafeNoFsync false), default options (workers 4, webhook on); each start in its own temp dir with labDown after it; median of 3; phases = time between labUp progress lines',
  };
}

// ---------------------------------------------------------------------------------------------
// 3. operator sustained reconcile rate

type Samples = Array<{ name: string; labels: Record<string, string>; value: number }>;

function parseMetrics(text: string): Samples {
  const samples: Samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = label[2] as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function sum(samples: Samples, name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

async function scrape(state: LabState): Promise<Samples> {
  const response = await fetch(`http://127.0.0.1:${state.ports.metrics}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /metrics: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

function performanceYaml(workers: number): string {
  return toYaml({
    controller: { workers, maxConcurrentReconciles: workers, batchSize: 1, batchTimeout: '100ms' },
    caching: { enabled: true, ttl: '5m', maxSize: 1000 },
    rateLimit: { qps: 500, burst: 1000 },
    reconciliation: { requeueDelay: '0s', requeueDelayOnError: '5s', timeout: '30s' },
  });
}

function machine(index: number): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name: `bench-${String(index).padStart(5, '0')}`, namespace: NAMESPACE },
    spec: { memory: 1024 },
  };
}

interface MachineObject extends KubernetesObject {
  status?: { phase?: string };
}

async function rateRun(workers: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-lab-'));
  try {
    const { state } = await labUp(
      {
        dir,
        unsafeNoFsync: false,
        workers,
        provisionTime: 'fixed:50ms',
        apiCallsPerReconcile: 1,
        webhook: false,
        performanceYaml: performanceYaml(workers),
      },
      quiet,
    );
    const { KubeConfig, KubernetesObjectApi } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromFile(state.kubeconfig);
    const server = kc.getCurrentCluster()?.server ?? '';
    if (!server.startsWith('https://127.0.0.1:'))
      throw new Error(`lab server is not on 127.0.0.1: ${server}`);
    const api = KubernetesObjectApi.makeApiClient(kc);

    const before = await scrape(state);
    const loadBefore = loadavg()[0] as number;

    // create: IN_FLIGHT workers pulling the next index
    const createStart = Date.now();
    let next = 1;
    const creator = async () => {
      while (next <= MACHINES) {
        const index = next++;
        for (let attempt = 1; ; attempt++) {
          try {
            await api.create(machine(index));
            break;
          } catch (error) {
            if (attempt >= 3) throw error;
            await sleep(200 * attempt);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, creator));
    const createEnd = Date.now();

    // wait: LIST once a second until every Machine is Running and has its ready-at stamp
    const deadline = Date.now() + WAIT_MS;
    let items: MachineObject[] = [];
    let done = 0;
    while (Date.now() < deadline) {
      const list = await api.list<MachineObject>('vitistack.io/v1alpha1', 'Machine', NAMESPACE);
      items = list.items;
      done = items.filter(
        (item) => item.status?.phase === 'Running' && item.metadata?.annotations?.[READY_AT],
      ).length;
      if (items.length === MACHINES && done === MACHINES) break;
      await sleep(1000);
    }
    if (done !== MACHINES) {
      throw new Error(
        `workers ${workers}: only ${done}/${MACHINES} Machines Running with ${READY_AT} after ${WAIT_MS / 1000}s`,
      );
    }
    const after = await scrape(state);
    const loadAfter = loadavg()[0] as number;

    const readyAt = items
      .map((item) => Date.parse(item.metadata?.annotations?.[READY_AT] ?? ''))
      .sort((a, b) => a - b);
    const first = readyAt[0] as number;
    const last = readyAt[readyAt.length - 1] as number;
    const p10 = readyAt[Math.floor(0.1 * (MACHINES - 1))] as number;
    const p90 = readyAt[Math.floor(0.9 * (MACHINES - 1))] as number;

    const delta = (name: string, labels: Record<string, string> = {}) =>
      sum(after, name, labels) - sum(before, name, labels);
    const machineLabel = { controller: 'machine' };
    const reconciles = delta('controller_runtime_reconcile_total', machineLabel);
    const byResult: Record<string, number> = {};
    for (const s of after.filter(
      (s) => s.name === 'controller_runtime_reconcile_total' && s.labels.controller === 'machine',
    )) {
      const result = s.labels.result ?? '';
      const d = delta('controller_runtime_reconcile_total', { ...machineLabel, result });
      if (d !== 0) byResult[result] = d;
    }
    const timeSum = delta('controller_runtime_reconcile_time_seconds_sum', machineLabel);
    const timeCount = delta('controller_runtime_reconcile_time_seconds_count', machineLabel);
    const apiSum = delta('vitistack_api_call_duration_seconds_sum');
    const apiCount = delta('vitistack_api_call_duration_seconds_count');

    return {
      workers,
      maxConcurrentReconcilesReported: sum(
        after,
        'controller_runtime_max_concurrent_reconciles',
        machineLabel,
      ),
      sustainedObjectsPerSecond: round((MACHINES - 1) / ((last - first) / 1000), 2),
      middle80ObjectsPerSecond: round((0.8 * (MACHINES - 1)) / ((p90 - p10) / 1000), 2),
      firstToLastReadySeconds: round((last - first) / 1000),
      totalSeconds: round((last - createStart) / 1000),
      createSeconds: round((createEnd - createStart) / 1000),
      createObjectsPerSecond: round(MACHINES / ((createEnd - createStart) / 1000), 1),
      reconcileTotalDelta: reconciles,
      reconcileTotalDeltaByResult: byResult,
      meanReconcileMs: timeCount > 0 ? round((timeSum / timeCount) * 1000, 1) : null,
      meanApiCallMs: apiCount > 0 ? round((apiSum / apiCount) * 1000, 2) : null,
      apiCallsDelta: apiCount,
      loadAverage1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
    };
  } finally {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

export async function benchLab(): Promise<string> {
  process.stderr.write('  build times…\n');
  const warm = await warmBuild();
  const { cold, coldNote } = coldBuild();
  process.stderr.write('  lab start times…\n');
  const start = await startTimes();
  process.stderr.write('  reconcile rate, workers 1…\n');
  const one = await rateRun(1);
  process.stderr.write('  reconcile rate, workers 8…\n');
  const eight = await rateRun(8);

  return writeResult('lab', {
    build: {
      warm,
      cold,
      ...(coldNote ? { note: coldNote } : {}),
    },
    start,
    reconcileRate: {
      machines: MACHINES,
      setup:
        'labUp with provisionTime fixed:50ms, apiCallsPerReconcile 1, webhook off, real fsync, performance ConfigMap {workers = maxConcurrentReconciles = W, batchSize 1, rateLimit qps 500 / burst 1000}; a fresh lab per W',
      workers1: one,
      workers8: eight,
      ratio8vs1: {
        sustainedObjectsPerSecond: round(eight.sustainedObjectsPerSecond / one.sustainedObjectsPerSecond, 2),
        totalSeconds: round(one.totalSeconds / eight.totalSeconds, 2),
        meanReconcileMs:
          one.meanReconcileMs && eight.meanReconcileMs
            ? round(eight.meanReconcileMs / one.meanReconcileMs, 2)
            : null,
      },
      note: `1,000 Machines (spec.memory 1024) created in namespace default through @kubernetes/client-node KubernetesObjectApi.create, ${IN_FLIGHT} in flight; waited with a LIST every 1 s until all are phase Running with the ${READY_AT} annotation (bound 10 min). sustainedObjectsPerSecond = (N-1)/(last ready-at - first ready-at) from the operator's annotations (ms); middle80 = 80% of N over the p10..p90 ready-at span; totalSeconds = first create request sent to last ready-at (same host clock); create* = all create requests done; reconcileTotalDelta = Δ controller_runtime_reconcile_total{controller="machine"} summed over result, meanReconcileMs = Δ controller_runtime_reconcile_time_seconds_sum / Δ _count (controller="machine"), meanApiCallMs = Δ vitistack_api_call_duration_seconds sum/count (the reconciler's own GET + 2 status patches + annotation patch), all scraped from the operator's /metrics right before the first create and after the last Machine is ready. ratio8vs1: rate and totalSeconds as speed-ups of workers 8 over 1, meanReconcileMs as workers-8 / workers-1 (how much each reconcile slowed)`,
    },
  });
}
