import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_ID_LABEL } from '../src/kube/labels.js';
import { defaultPerformanceYaml } from '../src/lab/install.js';
import { type LabUpOptions, labDown, labUp } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/state.js';
import type { TimelineRow } from '../src/load/apply-engine.js';
import type { RunResult } from '../src/report/run-result.js';
import { type CeilingObject, ceilingRun } from './apply/ceiling.js';
import { childOf, must, procUsage, run, startGroup } from './apply/proc.js';
import { round, summarize } from './apply/stats.js';
import { bin, median, resultsDir, root, writeResult } from './lib.js';

/**
 * `vitictl apply` against real labs (kube-apiserver + etcd on
 * 127.0.0.1, real fsync unless said otherwise), the CLI run as a child process as users run it.
 *   1. creation throughput, 5,000 Machines, no client-side limit: vitictl (C = 16, 64) beside
 *      `kubectl apply -f FILE`, a shell-style loop of `kubectl apply -f -` per object, and the API
 *      server's ceiling (a raw undici Pool), all in one operator-less lab;
 *   2. rate accuracy of the open loop (R = 50, 200, 500) in the same lab;
 *   3. timing accuracy against the operator's ground-truth `lab.vitictl.io/ready-at`, beside what a
 *      1 s and a 10 s poll would have reported;
 *   4. memory and CPU of vitictl tracking 100,000 objects' readiness.
 * VITICTL_BENCH_APPLY_PARTS=throughput,rate,timing,memory selects parts (default: all).
 */

const MACHINES = 5_000;
const CONCURRENCIES = [16, 64] as const;
const ROUNDS = 3;
const LOOP_OBJECTS = 300;
const CEILING_CONNECTIONS = 64;
const CEILING_CONCURRENCY = 64;
const RATES = [50, 200, 500] as const;
const RATE_SECONDS = 10;
const TIMING_OBJECTS = 1_000;
const TIMING_QPS = 100;
/** VITICTL_BENCH_APPLY_MEMORY_OBJECTS overrides (for trying the harness; reported figures use 100,000) */
const MEMORY_OBJECTS = Number(process.env.VITICTL_BENCH_APPLY_MEMORY_OBJECTS ?? 100_000);
const MEMORY_FALLBACK_MAX = 50_000;
const MEMORY_READY_BOUND_MS = 15 * 60_000;
const MEMORY_HARD_BOUND_MS = 45 * 60_000;
const MEMORY_GRACE_MS = 5 * 60_000;
const MEMORY_TIMEOUT = '30m';
const READY_AT = 'lab.vitictl.io/ready-at';
const MINUTE = 60_000;

const quiet = () => {};
const load = () => loadavg().map((value) => round(value, 2));
const log = (line: string) => process.stderr.write(`  ${line}\n`);

interface Lab {
  dir: string;
  state: LabState;
  server: string;
  pki: string;
  env: NodeJS.ProcessEnv;
}

async function withLab<T>(options: Omit<LabUpOptions, 'dir'>, work: (lab: Lab) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-apply-'));
  try {
    const { state } = await labUp({ dir, ...options }, quiet);
    const server = `https://127.0.0.1:${state.ports.apiserver}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: state.kubeconfig,
      // kubectl's discovery cache inside the lab dir, not in ~/.kube
      KUBECACHEDIR: join(dir, 'kubectl-cache'),
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
    };
    return await work({ dir, state, server, pki: join(dir, 'pki'), env });
  } finally {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Generated {
  namespaces: Array<{ metadata: { name: string } }>;
  machines: Array<{ metadata: Record<string, unknown> & { name: string; namespace: string } }>;
}

function generate(lab: Lab, count: number, runId: string): Generated {
  const ran = must(
    'node',
    [bin, 'scenario', 'generate', 'machines', '--count', String(count), '--run-id', runId, '-o', 'json'],
    {
      env: lab.env,
      timeoutMs: 2 * MINUTE,
    },
  );
  const items = (JSON.parse(ran.stdout) as { items: Array<{ kind: string }> }).items;
  return {
    namespaces: items.filter((item) => item.kind === 'Namespace') as unknown as Generated['namespaces'],
    machines: items.filter((item) => item.kind === 'Machine') as unknown as Generated['machines'],
  };
}

function kubectl(lab: Lab, args: string[], timeoutMs: number, input?: string) {
  return must('kubectl', args, { env: lab.env, timeoutMs, ...(input === undefined ? {} : { input }) });
}

/**
 * Delete a run's Machines with kubectl (one DELETE per object) and its namespaces, then poll until the
 * Machines are gone (bounded); timed until gone. `--wait=false`: kubectl's own per-object wait runs
 * into its client-side throttling (~5 objects/s; 60 objects took 10.3 s with it, 0.3 s without).
 */
async function kubectlDelete(lab: Lab, runId: string) {
  const selector = `${RUN_ID_LABEL}=${runId}`;
  const start = performance.now();
  const ran = kubectl(lab, ['delete', 'machines', '-A', '-l', selector, '--wait=false'], 30 * MINUTE);
  let left = Number.NaN;
  for (let i = 0; i < 300; i++) {
    const listed = kubectl(lab, ['get', 'machines', '-A', '-l', selector, '-o', 'name'], 2 * MINUTE);
    left = listed.stdout.split('\n').filter((line) => line !== '').length;
    if (left === 0) break;
    await sleep(1000);
  }
  const seconds = (performance.now() - start) / 1000;
  // the lab runs no namespace controller: namespaces stay Terminating, so do not wait for them
  kubectl(lab, ['delete', 'namespaces', '-l', selector, '--wait=false'], 2 * MINUTE);
  return {
    seconds: round(seconds, 2),
    deleted: ran.stdout.split('\n').filter((line) => / deleted$/.test(line)).length,
    left,
  };
}

interface VitictlRun {
  result: RunResult;
  seconds: number;
}

function vitictl(lab: Lab, args: string[], timeoutMs: number, allowFailure = false): VitictlRun {
  const ran = run('node', [bin, ...args], { env: lab.env, timeoutMs, killSignal: 'SIGINT' });
  if (ran.status !== 0 && !(allowFailure && ran.status === 1)) {
    throw new Error(
      `vitictl ${args.join(' ')} exited ${ran.status ?? ran.signal}:\n${ran.stderr.slice(-3000)}`,
    );
  }
  return { result: JSON.parse(ran.stdout) as RunResult, seconds: round(ran.ms / 1000, 2) };
}

const phaseSeconds = (result: RunResult, name: string) =>
  result.phases.find((phase) => phase.name === name)?.seconds ?? null;

// ---------------------------------------------------------------------------------------------
// 1. creation throughput

async function ceiling(lab: Lab, runId: string) {
  const generated = generate(lab, MACHINES, runId);
  kubectl(
    lab,
    ['apply', '-f', '-'],
    2 * MINUTE,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generated.namespaces }),
  );
  const objects: CeilingObject[] = generated.machines.map((machine) => {
    const { name: _name, ...metadata } = machine.metadata;
    return {
      namespace: machine.metadata.namespace,
      body: JSON.stringify({ ...machine, metadata: { ...metadata, generateName: 'machine-' } }),
    };
  });
  const loadBefore = load();
  const result = await ceilingRun({
    server: lab.server,
    pkiDir: lab.pki,
    objects,
    connections: CEILING_CONNECTIONS,
    concurrency: CEILING_CONCURRENCY,
  });
  const loadAfter = load();
  // delete: one deletecollection per namespace
  const start = performance.now();
  const selector = encodeURIComponent(`${RUN_ID_LABEL}=${runId}`);
  for (const namespace of generated.namespaces) {
    kubectl(
      lab,
      [
        'delete',
        '--raw',
        `/apis/vitistack.io/v1alpha1/namespaces/${namespace.metadata.name}/machines?labelSelector=${selector}`,
      ],
      10 * MINUTE,
    );
  }
  kubectl(lab, ['delete', 'namespaces', '-l', `${RUN_ID_LABEL}=${runId}`, '--wait=false'], 2 * MINUTE);
  const left = kubectl(
    lab,
    ['get', 'machines', '-A', '-l', `${RUN_ID_LABEL}=${runId}`, '-o', 'name'],
    2 * MINUTE,
  );
  return {
    runId,
    ...result,
    deleteSeconds: round((performance.now() - start) / 1000, 2),
    leftAfterDelete: left.stdout.split('\n').filter((line) => line !== '').length,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

function vitictlThroughput(lab: Lab, concurrency: number, repeat: number) {
  const runId = `bench-c${concurrency}-${repeat}`;
  const loadBefore = load();
  const { result, seconds } = vitictl(
    lab,
    [
      'apply',
      'machines',
      '--count',
      String(MACHINES),
      '--no-wait',
      '--concurrency',
      String(concurrency),
      '-o',
      'json',
      '-q',
      '--run-id',
      runId,
    ],
    15 * MINUTE,
  );
  const apply = result.apply;
  if (!apply || apply.counts.created !== MACHINES) {
    throw new Error(`vitictl ${runId}: created ${apply?.counts.created} of ${MACHINES}`);
  }
  const cleanup = phaseSeconds(result, 'cleanup') ?? 0;
  return {
    runId,
    concurrency,
    createThroughput: apply.createThroughput,
    creationSeconds: apply.creation.seconds,
    wallSeconds: seconds,
    wallWithoutCleanupSeconds: round(seconds - cleanup, 2),
    wholeCommandObjectsPerSecond: round(MACHINES / (seconds - cleanup), 1),
    cleanupSeconds: cleanup,
    cleanupDeleted: result.cleanup?.deleted ?? null,
    createLatencyMs: {
      p50: apply.latency.create.p50,
      p99: apply.latency.create.p99,
      max: apply.latency.create.max,
    },
    errors: apply.errors,
    retries: apply.retries,
    loadAverage: { before: loadBefore, after: load() },
  };
}

async function kubectlApplyFile(lab: Lab, runId: string) {
  const file = join(lab.dir, 'kubectl-machines.yaml');
  must(
    'node',
    [bin, 'scenario', 'generate', 'machines', '--count', String(MACHINES), '--run-id', runId, '--out', file],
    {
      env: lab.env,
      timeoutMs: 2 * MINUTE,
    },
  );
  kubectl(lab, ['api-resources'], 2 * MINUTE); // a warm discovery cache, as a user's would be
  const loadBefore = load();
  const ran = kubectl(lab, ['apply', '-f', file], 30 * MINUTE);
  const loadAfter = load();
  const created = ran.stdout.split('\n').filter((line) => / created$/.test(line)).length;
  if (created !== MACHINES + 10)
    throw new Error(`kubectl apply -f: ${created} created, expected ${MACHINES + 10}`);
  const deleted = await kubectlDelete(lab, runId);
  return {
    objects: MACHINES,
    namespaces: 10,
    seconds: round(ran.ms / 1000, 2),
    objectsPerSecond: round(MACHINES / (ran.ms / 1000), 1),
    deleteSeconds: deleted.seconds,
    deleted: deleted.deleted,
    leftAfterDelete: deleted.left,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

async function kubectlLoop(lab: Lab) {
  const generated = generate(lab, LOOP_OBJECTS, 'bench-loop');
  kubectl(
    lab,
    ['apply', '-f', '-'],
    2 * MINUTE,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generated.namespaces }),
  );
  const loadBefore = load();
  const start = performance.now();
  for (const machine of generated.machines)
    kubectl(lab, ['apply', '-f', '-'], MINUTE, JSON.stringify(machine));
  const ms = performance.now() - start;
  const loadAfter = load();
  await kubectlDelete(lab, 'bench-loop');
  return {
    objects: generated.machines.length,
    seconds: round(ms / 1000, 2),
    objectsPerSecond: round(generated.machines.length / (ms / 1000), 1),
    msPerObject: round(ms / generated.machines.length, 1),
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

async function throughput(lab: Lab) {
  const versions = run('kubectl', ['version', '-o', 'json'], { env: lab.env, timeoutMs: MINUTE });
  let kubectlVersion: unknown = null;
  try {
    const parsed = JSON.parse(versions.stdout) as {
      clientVersion?: { gitVersion?: string };
      serverVersion?: { gitVersion?: string };
    };
    kubectlVersion = { client: parsed.clientVersion?.gitVersion, server: parsed.serverVersion?.gitVersion };
  } catch {
    kubectlVersion = versions.stdout.slice(0, 200);
  }
  // paired rounds: the box is shared, so each round measures every client back to back and the
  // ratios are taken within a round
  const rounds: Array<{
    round: number;
    ceiling: Awaited<ReturnType<typeof ceiling>>;
    vitictl: Array<ReturnType<typeof vitictlThroughput>>;
    kubectlApplyFile: Awaited<ReturnType<typeof kubectlApplyFile>>;
  }> = [];
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    log(`round ${round_}: ceiling…`);
    const ceilingRun_ = await ceiling(lab, `bench-ceiling-${round_}`);
    const vitictlRuns: Array<ReturnType<typeof vitictlThroughput>> = [];
    for (const concurrency of CONCURRENCIES) {
      log(`round ${round_}: vitictl C=${concurrency}…`);
      vitictlRuns.push(vitictlThroughput(lab, concurrency, round_));
    }
    log(`round ${round_}: kubectl apply -f…`);
    const kubectlFile = await kubectlApplyFile(lab, `bench-kubectl-${round_}`);
    rounds.push({ round: round_, ceiling: ceilingRun_, vitictl: vitictlRuns, kubectlApplyFile: kubectlFile });
  }
  log(`kubectl apply loop (${LOOP_OBJECTS})…`);
  const loop = await kubectlLoop(lab);

  const throughputOf = (round_: (typeof rounds)[number], concurrency: number) =>
    round_.vitictl.find((r) => r.concurrency === concurrency)?.createThroughput ?? 0;
  const medianByC = Object.fromEntries(
    CONCURRENCIES.map((concurrency) => [
      concurrency,
      median(rounds.map((r) => throughputOf(r, concurrency))),
    ]),
  ) as Record<number, number>;
  const bestC = CONCURRENCIES.reduce((a, b) => ((medianByC[b] ?? 0) > (medianByC[a] ?? 0) ? b : a));
  const perRound = rounds.map((r) => {
    const best = throughputOf(r, bestC);
    return {
      round: r.round,
      vitictl: best,
      ceiling: r.ceiling.createsPerSecond,
      kubectlApplyFile: r.kubectlApplyFile.objectsPerSecond,
      vitictlOverCeiling: round(best / r.ceiling.createsPerSecond, 3),
      vitictlOverKubectlApplyFile: round(best / r.kubectlApplyFile.objectsPerSecond, 2),
    };
  });
  const vsCeiling = median(perRound.map((r) => r.vitictlOverCeiling));
  const vsKubectl = median(perRound.map((r) => r.vitictlOverKubectlApplyFile));
  const summary = (values: number[]) => ({
    median: round(median(values), 1),
    min: round(Math.min(...values), 1),
    max: round(Math.max(...values), 1),
  });
  return {
    machines: MACHINES,
    rounds: ROUNDS,
    order: `${ROUNDS} rounds of [ceiling, vitictl C=${CONCURRENCIES.join(', C=')}, kubectl apply -f], then the kubectl loop; one lab; every run deletes its objects before the next`,
    kubectlVersion,
    summary: {
      vitictlCreateThroughput: Object.fromEntries(
        CONCURRENCIES.map((concurrency) => [
          `c${concurrency}`,
          summary(rounds.map((r) => throughputOf(r, concurrency))),
        ]),
      ),
      vitictlWholeCommandObjectsPerSecond: Object.fromEntries(
        CONCURRENCIES.map((concurrency) => [
          `c${concurrency}`,
          summary(
            rounds.map(
              (r) => r.vitictl.find((v) => v.concurrency === concurrency)?.wholeCommandObjectsPerSecond ?? 0,
            ),
          ),
        ]),
      ),
      vitictlCleanupSeconds: summary(rounds.flatMap((r) => r.vitictl.map((v) => v.cleanupSeconds))),
      kubectlApplyFileObjectsPerSecond: summary(rounds.map((r) => r.kubectlApplyFile.objectsPerSecond)),
      kubectlDeleteSeconds: summary(rounds.map((r) => r.kubectlApplyFile.deleteSeconds)),
      kubectlLoopObjectsPerSecond: loop.objectsPerSecond,
      ceilingCreatesPerSecond: summary(rounds.map((r) => r.ceiling.createsPerSecond)),
      note: 'median, min and max over the rounds; objects/s',
    },
    ratios: {
      bestConcurrency: bestC,
      perRound,
      vitictlOverKubectlApplyFile: round(vsKubectl, 2),
      vitictlOverCeiling: round(vsCeiling, 3),
      vitictlOverLoop: round((medianByC[bestC] ?? 0) / loop.objectsPerSecond, 1),
      note: "best C = the C with the higher median createThroughput; each ratio is taken within a round (same load) and the median over rounds reported; vitictl = RunResult createThroughput, kubectl apply -f = Machines / whole command, ceiling = the raw Pool's creates/s; vitictlOverLoop = median vitictl(best C) / the loop's rate",
    },
    targets: {
      vitictlOverKubectlApplyFile: { target: '>= 2', met: vsKubectl >= 2 },
      vitictlOverCeiling: { target: '>= 0.90 (within 10% of the ceiling)', met: vsCeiling >= 0.9 },
    },
    perRound: rounds,
    notes: {
      vitictl: `node bin/vitictl.js apply machines --count ${MACHINES} --no-wait --concurrency C -o json -q --run-id bench-cC-ROUND (cleanup on, the default). createThroughput = the RunResult's apply.createThroughput (acknowledged creates / (last ack − first send)); wallSeconds = the whole child process (start, preflight, 10 namespaces, creates, cleanup, exit); wholeCommandObjectsPerSecond = ${MACHINES} / (wall − cleanup phase), comparable with kubectl's whole-command figure; cleanupSeconds = the RunResult's cleanup phase (LIST + one DELETE per object, 16 in flight), not part of throughput`,
      kubectlApplyFile: `kubectl apply -f FILE, FILE = vitictl scenario generate machines --count ${MACHINES} --run-id bench-kubectl-ROUND --out FILE (10 namespaces first, then ${MACHINES} Machines); the whole command timed (process start to exit, discovery cache warmed by one kubectl api-resources before); objectsPerSecond = ${MACHINES} Machines / that time; kubectl's own client-side defaults; deleteSeconds = kubectl delete machines -A -l vitictl.io/run-id=bench-kubectl-ROUND --wait=false until a kubectl get (polled every 1 s) finds none (without --wait=false kubectl's per-object wait is throttled client-side to ~5 objects/s: 60 objects took 10.3 s vs 0.3 s in a side test)`,
      kubectlLoop: `the shell-script way, for the first ${LOOP_OBJECTS} Machines only (vitictl scenario generate machines --count ${LOOP_OBJECTS} --run-id bench-loop: the same first ${LOOP_OBJECTS} objects as the ${MACHINES} file; namespaces applied before, untimed): one \`kubectl apply -f -\` process per object in sequence, the object on stdin as JSON; objectsPerSecond = ${LOOP_OBJECTS} / the loop's time`,
      ceiling: `the API server's ceiling: the simplest client, in the bench process: a raw undici Pool (connections ${CEILING_CONNECTIONS}, pipelining 1) with the lab's admin client certificate (pki/admin.crt, admin.key, ca.crt) POSTing ${MACHINES} pre-serialised Machines (the same generated objects as vitictl's, metadata.name replaced by generateName, label vitictl.io/run-id=bench-ceiling-ROUND) into their 10 namespaces (created before, untimed), ${CEILING_CONCURRENCY} in flight, no tracking, no watch, no retries; createsPerSecond = 201s / (first send → last response); deleted after with one deletecollection per namespace (kubectl delete --raw)`,
    },
    kubectlLoop: loop,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. rate accuracy

function readTimeline(file: string): TimelineRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TimelineRow);
}

function rateAccuracy(lab: Lab) {
  const runs = RATES.map((rate) => {
    log(`rate ${rate}/s…`);
    const runId = `bench-rate-${rate}`;
    const count = rate * RATE_SECONDS;
    const timeline = join(lab.dir, `rate-${rate}.ndjson`);
    const loadBefore = load();
    const { result, seconds } = vitictl(
      lab,
      [
        'apply',
        'machines',
        '--count',
        String(count),
        '--no-wait',
        '--qps',
        String(rate),
        '--burst',
        '1',
        '-o',
        'json',
        '-q',
        '--run-id',
        runId,
        '--timeline',
        timeline,
      ],
      10 * MINUTE,
    );
    const apply = result.apply;
    if (!apply) throw new Error(`vitictl ${runId}: no apply section`);
    const rows = readTimeline(timeline);
    const sent = rows.map((row) => row.sent as number).sort((a, b) => a - b);
    const gaps = sent.slice(1).map((t, i) => t - (sent[i] as number));
    const lateness = rows.map((row) => (row.sent as number) - (row.intended as number));
    const errorPercent = ((apply.achievedRate - rate) / rate) * 100;
    const ideal = rate / 10;
    return {
      requestedRate: rate,
      objects: count,
      achievedRate: apply.achievedRate,
      errorPercent: round(errorPercent, 2),
      maxStartsIn100ms: apply.maxStartsIn100ms,
      idealStartsIn100ms: ideal,
      lateStarts: apply.lateStarts,
      startIntervalMs: { ideal: round(1000 / rate, 2), ...summarize(gaps, 2) },
      startLatenessMs: summarize(lateness, 2),
      createThroughput: apply.createThroughput,
      createLatencyMs: { p50: apply.latency.create.p50, p99: apply.latency.create.p99 },
      errors: apply.errors,
      created: apply.counts.created,
      wallSeconds: seconds,
      loadAverage: { before: loadBefore, after: load() },
      met: {
        within2Percent: Math.abs(errorPercent) <= 2,
        evenlySpaced: apply.maxStartsIn100ms <= Math.ceil(ideal) + 1 && apply.lateStarts === 0,
      },
    };
  });
  return {
    runs,
    note: `node bin/vitictl.js apply machines --count 10·R --no-wait --qps R --burst 1 -o json -q --timeline FILE, R = ${RATES.join(', ')} (~${RATE_SECONDS} s each), in the operator-less lab after part 1, cleanup on. achievedRate, maxStartsIn100ms, lateStarts (starts > 10 ms after their intended time) from the RunResult; errorPercent = (achieved − R)/R; startIntervalMs = gaps between consecutive "sent" times from the timeline (client wall clock, µs resolution); startLatenessMs = sent − intended per object. met.evenlySpaced: maxStartsIn100ms <= ceil(R/10) + 1 (a 100-ms window can hold one start more than R/10 by jitter alone) and no late starts`,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. timing accuracy

function pollErrors(readyAt: number[], start: number, periodMs: number): number[] {
  return readyAt.map((t) => start + Math.ceil((t - start) / periodMs) * periodMs - t);
}

async function timingAccuracy(lab: Lab) {
  const runId = 'bench-timing';
  const timeline = join(lab.dir, 'timing.ndjson');
  const loadBefore = load();
  const { result, seconds } = vitictl(
    lab,
    [
      'apply',
      'machines',
      '--count',
      String(TIMING_OBJECTS),
      '--qps',
      String(TIMING_QPS),
      '--keep',
      '--run-id',
      runId,
      '--timeline',
      timeline,
      '-o',
      'json',
    ],
    15 * MINUTE,
    true,
  );
  const loadAfter = load();
  const apply = result.apply;
  if (!apply) throw new Error('vitictl bench-timing: no apply section');
  const listed = kubectl(
    lab,
    ['get', 'machines', '-A', '-l', `${RUN_ID_LABEL}=${runId}`, '-o', 'json'],
    5 * MINUTE,
  );
  const truth = new Map<string, number>();
  for (const item of (
    JSON.parse(listed.stdout) as {
      items: Array<{ metadata: { namespace: string; name: string; annotations?: Record<string, string> } }>;
    }
  ).items) {
    const stamp = item.metadata.annotations?.[READY_AT];
    if (stamp) truth.set(`${item.metadata.namespace}/${item.metadata.name}`, Date.parse(stamp));
  }
  const rows = readTimeline(timeline);
  const start = Math.min(...rows.map((row) => row.sent ?? Number.POSITIVE_INFINITY));
  const joined: Array<{ client: number; truth: number }> = [];
  let missing = 0;
  for (const row of rows) {
    const t = truth.get(`${row.namespace}/${row.name}`);
    if (row.ready === undefined || t === undefined) missing++;
    else joined.push({ client: row.ready, truth: t });
  }
  const vitictlErrors = joined.map((j) => j.client - j.truth);
  const readyAt = joined.map((j) => j.truth);
  const vitictlSummary = summarize(vitictlErrors, 2);
  log('deleting the timing objects…');
  const deleted = await kubectlDelete(lab, runId);
  return {
    objects: TIMING_OBJECTS,
    ready: apply.counts.ready,
    joined: joined.length,
    missing,
    negativeErrors: vitictlErrors.filter((e) => e < 0).length,
    vitictlErrorMs: vitictlSummary,
    poll1sErrorMs: summarize(pollErrors(readyAt, start, 1000), 1),
    poll10sErrorMs: summarize(pollErrors(readyAt, start, 10_000), 1),
    runResult: {
      achievedRate: apply.achievedRate,
      timeToReadyMs: { p50: apply.latency.timeToReady.p50, p99: apply.latency.timeToReady.p99 },
      watchLagMs: {
        p50: apply.latency.watchLag.p50,
        p99: apply.latency.watchLag.p99,
        max: apply.latency.watchLag.max,
      },
      watch: {
        reconnects: apply.watch.reconnects,
        relists: apply.watch.relists,
        readyFromRelist: apply.watch.readyFromRelist,
      },
    },
    wallSeconds: seconds,
    deleteSeconds: deleted.seconds,
    loadAverage: { before: loadBefore, after: loadAfter },
    target: { vitictlP99Ms: 20, met: vitictlSummary.p99 <= 20 },
    note: `lab WITH the operator (workers 16, provisionTime fixed:100ms, apiCallsPerReconcile 1, webhook off, performance ConfigMap defaultPerformanceYaml(16, 2000), real fsync). node bin/vitictl.js apply machines --count ${TIMING_OBJECTS} --qps ${TIMING_QPS} --keep --run-id ${runId} --timeline T -o json; then kubectl get machines -A -l vitictl.io/run-id=${runId} -o json. Per object (joined on namespace/name): error = the timeline's "ready" (vitictl's watch saw phase Running; performance.timeOrigin + performance.now(), wall ms) − the operator's ${READY_AT} (RFC3339 ms, taken just before its status patch, so the error includes that patch's commit and the watch delivery; the stamp is truncated to ms, so errors read up to 1 ms high). Same host clock. A poll with period P started at the first "sent" time sees an object at the first tick ≥ its ready-at: error = that tick − ready-at (an idealised poll: the LIST's own latency not added, so a lower bound). Percentiles nearest-rank over all joined objects`,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. memory and CPU at 100k

const MEMORY_LAB: Omit<LabUpOptions, 'dir'> = {
  unsafeNoFsync: true,
  workers: 32,
  provisionTime: 'fixed:0s',
  apiCallsPerReconcile: 0,
  webhook: false,
  performanceYaml: defaultPerformanceYaml(32, 5000),
};

/** Machines Running so far: the operator's successful reconciles (one per object in a fresh lab). */
async function operatorReady(lab: Lab): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${lab.state.ports.metrics}/metrics`, {
      signal: AbortSignal.timeout(5_000),
    });
    const text = await response.text();
    const match = /^controller_runtime_reconcile_total\{controller="machine",result="success"\} (\S+)$/m.exec(
      text,
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function memoryRun(lab: Lab, count: number) {
  const runId = `bench-mem-${count}`;
  const files = {
    rss: join(lab.dir, `rss-${count}`),
    time: join(lab.dir, `time-${count}`),
    out: join(lab.dir, `out-${count}.json`),
    err: join(lab.dir, `err-${count}.txt`),
  };
  const loadBefore = load();
  const group = startGroup(
    '/usr/bin/time',
    [
      '-o',
      files.time,
      '-f',
      '%e %U %S %M',
      'node',
      '--import',
      join(root, 'bench/rss-hook.mjs'),
      bin,
      'apply',
      'machines',
      '--count',
      String(count),
      '--concurrency',
      '64',
      '--timeout',
      MEMORY_TIMEOUT,
      '-o',
      'json',
      '-q',
      '--run-id',
      runId,
    ],
    { env: { ...lab.env, VITICTL_BENCH_RSS_FILE: files.rss }, stdoutFile: files.out, stderrFile: files.err },
  );
  const started = performance.now();
  let exited = false;
  const markExited = () => {
    exited = true;
  };
  group.done.then(markExited, markExited);
  // sample the vitictl process (/proc) every second and the operator's ready count every 5 s
  let usage: ReturnType<typeof procUsage>;
  let ready: number | undefined;
  let interruptedAtSeconds: number | undefined;
  let readyAtInterrupt: number | undefined;
  let peakBeforeInterruptKiB: number | undefined;
  let killed = false;
  const samples: Array<{
    t: number;
    operatorSuccessReconciles: number | null;
    rssMiB: number | null;
    peakRssMiBSoFar: number | null;
    cpuSeconds: number | null;
  }> = [];
  let tick = 0;
  while (!exited) {
    await Promise.race([sleep(1000), group.done]);
    if (exited) break;
    tick++;
    const pid = childOf(group.pid);
    const now = pid === undefined ? undefined : procUsage(pid);
    if (now) usage = now;
    if (tick % 5 === 0) ready = (await operatorReady(lab)) ?? ready;
    const elapsed = performance.now() - started;
    if (tick % 30 === 0) {
      samples.push({
        t: Math.round(elapsed / 1000),
        operatorSuccessReconciles: ready ?? null,
        rssMiB: now ? round(now.rssKiB / 1024, 1) : null,
        peakRssMiBSoFar: now ? round(now.peakRssKiB / 1024, 1) : null,
        cpuSeconds: now ? round(now.userSeconds + now.systemSeconds, 1) : null,
      });
    }
    const overReadyBound = elapsed > MEMORY_READY_BOUND_MS && (ready ?? 0) < count;
    if (interruptedAtSeconds === undefined && (overReadyBound || elapsed > MEMORY_HARD_BOUND_MS)) {
      interruptedAtSeconds = round(elapsed / 1000, 1);
      readyAtInterrupt = ready;
      peakBeforeInterruptKiB = usage?.peakRssKiB;
      log(`memory ${count}: bound reached at ${interruptedAtSeconds} s with ${ready ?? '?'} ready; SIGINT`);
      group.signal('SIGINT');
    }
    if (
      interruptedAtSeconds !== undefined &&
      !killed &&
      elapsed > interruptedAtSeconds * 1000 + MEMORY_GRACE_MS
    ) {
      killed = true;
      group.signal('SIGKILL');
    }
  }
  const ran = await group.done;
  const loadAfter = load();
  const timeLine = existsSync(files.time)
    ? (readFileSync(files.time, 'utf8').trim().split('\n').pop() ?? '')
    : '';
  const [elapsed, user, system, maxKiB] = /^[\d. ]+$/.test(timeLine)
    ? timeLine.split(' ').map(Number)
    : [undefined, undefined, undefined, undefined];
  let result: RunResult | undefined;
  try {
    result = JSON.parse(readFileSync(files.out, 'utf8')) as RunResult;
  } catch {
    result = undefined;
  }
  const apply = result?.apply;
  const hookKiB = existsSync(files.rss) ? Number(readFileSync(files.rss, 'utf8')) : undefined;
  const peakKiB = hookKiB ?? usage?.peakRssKiB;
  return {
    objects: count,
    runId,
    exitStatus: ran.status,
    exitSignal: ran.signal,
    interruptedAtSeconds: interruptedAtSeconds ?? null,
    readyAtInterrupt: readyAtInterrupt ?? null,
    peakRssMiBBeforeInterrupt:
      peakBeforeInterruptKiB === undefined ? null : round(peakBeforeInterruptKiB / 1024, 1),
    peakRssMiB: peakKiB === undefined ? null : round(peakKiB / 1024, 1),
    peakRssSource:
      hookKiB !== undefined
        ? 'rss-hook (process.resourceUsage().maxRSS at exit)'
        : '/proc VmHWM, last sample',
    peakRssMiBFromTime: maxKiB === undefined ? null : round(maxKiB / 1024, 1),
    peakRssMiBFromProc: usage ? round(usage.peakRssKiB / 1024, 1) : null,
    cpuSeconds:
      user !== undefined && system !== undefined
        ? { user, system, total: round(user + system, 2), source: '/usr/bin/time %U %S' }
        : usage
          ? {
              user: usage.userSeconds,
              system: usage.systemSeconds,
              total: round(usage.userSeconds + usage.systemSeconds, 2),
              source: '/proc stat, last sample',
            }
          : null,
    wallSeconds: elapsed ?? round(ran.ms / 1000, 2),
    phases: result ? Object.fromEntries(result.phases.map((phase) => [phase.name, phase.seconds])) : null,
    counts: apply?.counts ?? null,
    allReady: apply ? apply.counts.ready === count : false,
    createThroughput: apply?.createThroughput ?? null,
    creationSeconds: apply?.creation.seconds ?? null,
    timeToReadyMs: apply
      ? {
          p50: apply.latency.timeToReady.p50,
          p99: apply.latency.timeToReady.p99,
          max: apply.latency.timeToReady.max,
        }
      : null,
    watch: apply
      ? { reconnects: apply.watch.reconnects, relists: apply.watch.relists, gaps: apply.watch.gaps.length }
      : null,
    failureReasons: apply?.failureReasons ?? null,
    cleanup: result?.cleanup
      ? {
          deleted: result.cleanup.deleted,
          failed: result.cleanup.failed,
          leftBehind: result.cleanup.leftBehind.length,
          seconds: result.cleanup.seconds,
          note: result.cleanup.note,
        }
      : null,
    samplesEvery30s: samples,
    stderrTail: ran.status === 0 ? undefined : ran.stderr.slice(-1500),
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

async function memory() {
  log(`memory: ${MEMORY_OBJECTS} objects (bound ${MEMORY_READY_BOUND_MS / MINUTE} min to all ready)…`);
  const attempt = await withLab(MEMORY_LAB, (lab) => memoryRun(lab, MEMORY_OBJECTS));
  let fallback: Awaited<ReturnType<typeof memoryRun>> | undefined;
  if (!attempt.allReady) {
    // the largest count that fits: 80% of what became ready within the bound, in 5k steps
    const reached = attempt.readyAtInterrupt ?? attempt.counts?.ready ?? 0;
    const count = Math.min(
      MEMORY_FALLBACK_MAX,
      Math.max(10_000, Math.floor((0.8 * reached) / 5_000) * 5_000),
    );
    log(`memory: ${MEMORY_OBJECTS} did not complete; ${count} objects in a fresh lab…`);
    fallback = await withLab(MEMORY_LAB, (lab) => memoryRun(lab, count));
  }
  const reported = attempt.allReady ? attempt : (fallback ?? attempt);
  const peakMB = reported.peakRssMiB === null ? Number.POSITIVE_INFINITY : reported.peakRssMiB * 1.048576;
  return {
    attempt,
    ...(fallback ? { fallback } : {}),
    target: {
      peakRssMB: 400,
      objects: reported.objects,
      met: reported.allReady && peakMB <= 400,
      attemptMet: attempt.allReady && attempt.peakRssMiB !== null && attempt.peakRssMiB * 1.048576 <= 400,
    },
    note: `a fresh lab per run with a cheap operator (workers 32, provisionTime fixed:0s, apiCallsPerReconcile 0, webhook off, performance ConfigMap defaultPerformanceYaml(32, 5000)) and etcd --unsafe-no-fsync (to keep it short; not a setting for reported throughput). /usr/bin/time -f '%e %U %S %M' node --import ./bench/rss-hook.mjs bin/vitictl.js apply machines --count N --concurrency 64 --timeout ${MEMORY_TIMEOUT} -o json -q, env VITICTL_BENCH_RSS_FILE; peakRssMiB = the hook's process.resourceUsage().maxRSS at exit (else /proc/<pid>/status VmHWM sampled every second); CPU = user + system seconds of the vitictl node process; wall = the whole command including cleanup (LIST + one DELETE per object, 16 in flight). --timeout ${MEMORY_TIMEOUT} instead of the scenario's 5m: with creates far ahead of the operator, objects wait in its queue for minutes, and a 5m per-object timeout measures the operator, not vitictl's tracking. Bounds: if not all N are Running (operator's reconcile success count) ${MEMORY_READY_BOUND_MS / MINUTE} min after start, or after ${MEMORY_HARD_BOUND_MS / MINUTE} min in any case, SIGINT to the process group (vitictl stops, cleans up, writes the partial result), SIGKILL ${MEMORY_GRACE_MS / MINUTE} min later. If ${MEMORY_OBJECTS} does not complete, a fallback count (80% of what the operator made Running within the bound, in 5k steps, 10k..${MEMORY_FALLBACK_MAX}) runs in a fresh lab. samplesEvery30s: the operator's controller_runtime_reconcile_total{controller="machine",result="success"} (one per Machine made Running in a fresh lab; it also counts reconciles of deleted objects once cleanup starts), vitictl's current RSS (/proc VmRSS), its peak so far (VmHWM) and CPU seconds; peakRssMiBBeforeInterrupt = VmHWM at the last sample before the SIGINT (the tracking phase only, before any cleanup). target.met: the reported run (100k if complete, else the fallback) all ready with peak RSS <= 400 MB (10^6 bytes)`,
  };
}

// ---------------------------------------------------------------------------------------------

export async function benchApply(): Promise<string> {
  const parts = new Set(
    (process.env.VITICTL_BENCH_APPLY_PARTS ?? 'throughput,rate,timing,memory')
      .split(',')
      .map((p) => p.trim()),
  );
  const loadStart = load();
  const started = Date.now();
  const result: Record<string, unknown> = {};

  if (parts.has('throughput') || parts.has('rate')) {
    log('lab without operator (real fsync)…');
    await withLab({ unsafeNoFsync: false, operator: false, webhook: false }, async (lab) => {
      if (parts.has('throughput')) result.throughput = await throughput(lab);
      if (parts.has('rate')) result.rateAccuracy = rateAccuracy(lab);
    });
  }
  if (parts.has('timing')) {
    log('lab with operator (workers 16, fixed:100ms, real fsync): timing accuracy…');
    result.timingAccuracy = await withLab(
      {
        unsafeNoFsync: false,
        workers: 16,
        provisionTime: 'fixed:100ms',
        apiCallsPerReconcile: 1,
        webhook: false,
        performanceYaml: defaultPerformanceYaml(16, 2000),
      },
      async (lab) => timingAccuracy(lab),
    );
  }
  if (parts.has('memory')) {
    log('lab with a cheap operator (workers 32, fixed:0s, --unsafe-no-fsync): memory…');
    result.memory = await memory();
  }

  // a partial re-run keeps the other parts of the previous result, each marked with its date
  const carriedOver: Record<string, string> = {};
  const previousFile = join(resultsDir, 'apply.json');
  if (existsSync(previousFile)) {
    const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as Record<string, unknown> & {
      date?: string;
      carriedOver?: Record<string, string>;
    };
    const sections = {
      throughput: 'throughput',
      rate: 'rateAccuracy',
      timing: 'timingAccuracy',
      memory: 'memory',
    };
    for (const [part, key] of Object.entries(sections)) {
      if (parts.has(part) || previous[key] === undefined) continue;
      result[key] = previous[key];
      carriedOver[part] = previous.carriedOver?.[part] ?? previous.date ?? 'unknown';
    }
  }
  return writeResult('apply', {
    parts: [...parts],
    ...(Object.keys(carriedOver).length > 0 ? { carriedOver } : {}),
    loadAverage: { start: loadStart, end: load() },
    totalMinutes: round((Date.now() - started) / MINUTE, 1),
    conditions:
      'every request to labs on 127.0.0.1; 2 shared cores: the lead worked on the same machine during the run (see loadAverage, 1/5/15 min, at each step); the vitictl CLI and kubectl as child processes with KUBECONFIG = the lab kubeconfig',
    ...result,
  });
}
