import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabUpOptions, labDown, labUp } from '../src/lab/lab.js';
import type { LabState } from '../src/lab/state.js';
import type { RunResult } from '../src/report/run-result.js';
import type { TuneResult } from '../src/report/sections/tune.js';
import { bin, root, writeResult } from './lib.js';

/**
 * The proof that tuning helps: `vitictl tune` against the lab operator, the CLI run as child processes as users
 * run it, every request to 127.0.0.1 (the lab), real fsync.
 *   1. tuning must help: the operator on wrong defaults (1 worker, QPS 5, provisioning 200 ms),
 *      2,000 Machines at 100/s → tune → `tune --apply` (the operator re-execs) → the same run again;
 *      p99 time-to-ready must improve ≥ 5× and the prediction must be within 25% of the measured after.
 *   2. tuning must NOT raise workers: 16 workers, QPS 20, provisioning 10 ms, 600 Machines at 100/s;
 *      the diagnosis must be the client QPS limit and maxConcurrentReconciles must not go up.
 */

export interface TuneBenchSizes {
  helpCount: number;
  qpsBoundCount: number;
  /** result file name under bench/results (default "tune") */
  name?: string;
}

const FULL: TuneBenchSizes = { helpCount: 2_000, qpsBoundCount: 600 };
const RATE = 100;
const MINUTE = 60_000;
const BEFORE_BOUND_MS = 50 * MINUTE;
const AFTER_BOUND_MS = 20 * MINUTE;
const QPS_BOUND_BOUND_MS = 20 * MINUTE;
const TUNE_BOUND_MS = 3 * MINUTE;
const RELOAD_BOUND_MS = 5 * MINUTE;
const PROGRESS_EVERY_MS = MINUTE;
const IMPROVEMENT_TARGET = 5;
const PREDICTION_ERROR_TARGET = 0.25;

const WRONG_DEFAULTS =
  'controller: {workers: 1, maxConcurrentReconciles: 1}\nrateLimit: {qps: 5, burst: 10}\n';
const QPS_BOUND = 'controller: {workers: 16, maxConcurrentReconciles: 16}\nrateLimit: {qps: 20, burst: 40}\n';

const quiet = () => {};
const log = (line: string) => process.stderr.write(`  ${line}\n`);
const round = (value: number, digits = 3) => +value.toFixed(digits);
const load = () => loadavg().map((value) => round(value, 2));

// ---------------------------------------------------------------------------------------------
// child processes and the lab

interface Ran {
  args: string[];
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

/**
 * `node bin/vitictl.js ARGS`, bounded: on timeout SIGINT (vitictl writes the partial result and cleans
 * up), SIGKILL 2 minutes later. `tick` runs every PROGRESS_EVERY_MS while it runs.
 */
async function vitictl(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number; tick?: () => Promise<void> },
): Promise<Ran> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  let kill: NodeJS.Timeout | undefined;
  const bound = setTimeout(() => {
    timedOut = true;
    child.kill('SIGINT');
    kill = setTimeout(() => child.kill('SIGKILL'), 2 * MINUTE);
  }, options.timeoutMs);
  const ticker = options.tick
    ? setInterval(() => {
        options.tick?.().catch((error: unknown) => log(`progress: ${(error as Error).message}`));
      }, PROGRESS_EVERY_MS)
    : undefined;
  const [status, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve([code, sig]));
  }).finally(() => {
    clearTimeout(bound);
    if (kill) clearTimeout(kill);
    if (ticker) clearInterval(ticker);
  });
  return {
    args,
    status,
    signal,
    stdout,
    stderr,
    seconds: round(Number(process.hrtime.bigint() - started) / 1e9, 1),
    timedOut,
  };
}

function failure(ran: Ran): Error {
  return new Error(
    `vitictl ${ran.args.join(' ')} exited ${ran.status ?? ran.signal}${ran.timedOut ? ' (timed out)' : ''} after ${ran.seconds}s:\n${ran.stderr.slice(-3000)}\n${ran.stdout.slice(-1000)}`,
  );
}

interface Lab {
  state: LabState;
  env: NodeJS.ProcessEnv;
  metricsUrl: string;
  work: string;
}

async function withLab<T>(options: Omit<LabUpOptions, 'dir'>, body: (lab: Lab) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-tune-lab-'));
  const work = mkdtempSync(join(tmpdir(), 'vitictl-bench-tune-'));
  try {
    const { state } = await labUp({ dir, unsafeNoFsync: false, ...options }, quiet);
    const server = `https://127.0.0.1:${state.ports.apiserver}`;
    if (!readFileSync(state.kubeconfig, 'utf8').includes(server))
      throw new Error(`the lab kubeconfig does not point at ${server}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: state.kubeconfig,
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
      NO_COLOR: '1',
    };
    return await body({ state, env, metricsUrl: `http://127.0.0.1:${state.ports.metrics}/metrics`, work });
  } finally {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
    // VITICTL_BENCH_TUNE_KEEP=DIR keeps the RunResults and tune outputs for a closer look
    const keep = process.env.VITICTL_BENCH_TUNE_KEEP;
    if (keep) {
      cpSync(work, keep, { recursive: true });
      log(`kept ${work} in ${keep}`);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// the operator's metrics

/** The value of one series (summed over series that match the given labels); undefined when absent. */
function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      found[label[1] as string] = label[2] as string;
    if (!Object.entries(labels).every(([key, value]) => found[key] === value)) continue;
    total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

async function scrape(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined; // the operator is re-executing
  }
}

const MACHINE = { controller: 'machine' };

function progress(lab: Lab, what: string): () => Promise<void> {
  return async () => {
    const text = await scrape(lab.metricsUrl);
    const reconciles = text ? series(text, 'controller_runtime_reconcile_total', MACHINE) : undefined;
    log(`${what}: machine reconciles ${reconciles ?? '?'}, load ${load().join(' ')}`);
  };
}

// ---------------------------------------------------------------------------------------------
// runs and their summaries

const seconds = (ms: number) => round(ms / 1000, 2);

function summarizeRun(file: string, ran: Ran, loadBefore: number[]) {
  const result = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  const apply = result.apply;
  if (!apply) throw new Error(`${file} has no apply section`);
  const ttr = apply.latency.timeToReady;
  const signals = (result.observe?.targets ?? [])
    .map((target) => target.signals as unknown as { controllers?: Array<Record<string, unknown>> } | null)
    .find((s) => s?.controllers?.some((c) => c.controller === 'machine'));
  const machine = signals?.controllers?.find((c) => c.controller === 'machine');
  const process_ = (signals as { process?: Record<string, unknown> } | undefined)?.process;
  return {
    exit: ran.status ?? ran.signal,
    timedOut: ran.timedOut,
    wallSeconds: ran.seconds,
    counts: apply.counts,
    achievedRate: round(apply.achievedRate, 2),
    creationSeconds: round(apply.creation.seconds, 2),
    timeToReadySeconds: {
      count: ttr.count,
      p50: seconds(ttr.p50),
      p90: seconds(ttr.p90),
      p99: seconds(ttr.p99),
      max: seconds(ttr.max),
    },
    createP50Ms: round(apply.latency.create.p50, 1),
    watchLagP50Ms: round(apply.latency.watchLag.p50, 1),
    signals: machine
      ? {
          windowSeconds: (signals as { windowSeconds?: number }).windowSeconds ?? null,
          reconciles: machine.reconciles,
          throughput: machine.throughput,
          serviceMeanSeconds: machine.serviceMean,
          queueWaitMeanSeconds: machine.queueWaitMean,
          workers: machine.workers,
          restRequestsPerSecond: process_?.restRequestsPerSecond ?? null,
          restRequestsPerReconcile: process_?.restRequestsPerReconcile ?? null,
        }
      : null,
    loadAverage: { before: loadBefore, after: load() },
  };
}

function applyArgs(count: number, metricsUrl: string, out: string): string[] {
  return [
    'apply',
    'machines',
    '--count',
    String(count),
    '--qps',
    String(RATE),
    '--metrics',
    metricsUrl,
    '--metrics-interval',
    '5s',
    '--timeout',
    '60m',
    '--out',
    out,
    '-q',
  ];
}

async function applyRun(lab: Lab, count: number, out: string, boundMs: number, what: string) {
  const loadBefore = load();
  const file = join(lab.work, out);
  log(`${what}: apply machines --count ${count} --qps ${RATE} (bound ${boundMs / MINUTE} min)…`);
  const ran = await vitictl(applyArgs(count, lab.metricsUrl, out), {
    env: lab.env,
    cwd: lab.work,
    timeoutMs: boundMs,
    tick: progress(lab, what),
  });
  // exit 1 = some objects failed or timed out: still a result, reported as such
  if (!existsSync(file) || (ran.status !== 0 && ran.status !== 1)) throw failure(ran);
  const summary = summarizeRun(file, ran, loadBefore);
  log(
    `${what}: exit ${summary.exit}, ready ${summary.counts.ready}/${summary.counts.total}, p50 ${summary.timeToReadySeconds.p50}s p99 ${summary.timeToReadySeconds.p99}s, ${summary.wallSeconds}s`,
  );
  return { file, summary };
}

async function tuneJson(lab: Lab, from: string): Promise<TuneResult & { configMap?: unknown }> {
  const ran = await vitictl(['tune', '--from', from, '-o', 'json'], {
    env: lab.env,
    cwd: lab.work,
    timeoutMs: TUNE_BOUND_MS,
  });
  if (ran.status !== 0) throw failure(ran);
  return JSON.parse(ran.stdout) as TuneResult & { configMap?: unknown };
}

function changedKnobs(result: TuneResult) {
  return result.recommendations
    .filter((rec) => rec.changed)
    .map((rec) => ({
      knob: rec.knob,
      current: rec.current,
      recommended: rec.recommended,
      why: rec.why,
      ...(rec.formula ? { formula: rec.formula } : {}),
    }));
}

/** ms percentiles → seconds, 2 decimals (null: the model refused to predict) */
const percentiles = (out: { p50Ms: number; p90Ms: number; p99Ms: number } | null) =>
  out && {
    p50: round(out.p50Ms / 1000, 2),
    p90: round(out.p90Ms / 1000, 2),
    p99: round(out.p99Ms / 1000, 2),
  };

// ---------------------------------------------------------------------------------------------
// case 1: tuning must help

async function tuningHelps(count: number) {
  return withLab(
    { performanceYaml: WRONG_DEFAULTS, provisionTime: 'fixed:200ms', webhook: false },
    async (lab) => {
      const before = await applyRun(lab, count, 'before.json', BEFORE_BOUND_MS, 'before');
      const tuned = await tuneJson(lab, 'before.json');
      writeFileSync(join(lab.work, 'tune.json'), JSON.stringify(tuned, null, 2));
      log(`tune: ${tuned.diagnosis.bottleneck}: ${tuned.diagnosis.message}`);
      if (tuned.refused) throw new Error(`tune refused: ${tuned.refused}`);
      const workers = tuned.settings.recommended.workers;

      // apply it to the lab; the operator re-execs with the new settings
      const startBefore = series((await scrape(lab.metricsUrl)) ?? '', 'vitistack_start_time_seconds');
      const applyStarted = Date.now();
      const applied = await vitictl(['tune', '--from', 'before.json', '--apply', '-q'], {
        env: lab.env,
        cwd: lab.work,
        timeoutMs: TUNE_BOUND_MS,
      });
      if (applied.status !== 0) throw failure(applied);
      const deadline = Date.now() + RELOAD_BOUND_MS;
      let reported: number | undefined;
      let restarted = false;
      for (;;) {
        const text = await scrape(lab.metricsUrl);
        if (text) {
          const start = series(text, 'vitistack_start_time_seconds');
          restarted = start !== undefined && startBefore !== undefined && start > startBefore;
          reported = series(text, 'controller_runtime_max_concurrent_reconciles', MACHINE);
          if (restarted && reported === workers) break;
        }
        if (Date.now() > deadline)
          throw new Error(
            `the operator did not come back with ${workers} workers within ${RELOAD_BOUND_MS / 1000}s (restarted ${restarted}, controller_runtime_max_concurrent_reconciles ${reported})`,
          );
        await sleep(500);
      }
      const reloadSeconds = round((Date.now() - applyStarted) / 1000, 1);
      log(`operator re-exec'd with ${workers} workers after ${reloadSeconds}s`);

      const after = await applyRun(lab, count, 'after.json', AFTER_BOUND_MS, 'after');
      const prediction = tuned.prediction;
      const afterP99 = after.summary.timeToReadySeconds.p99;
      const beforeP99 = before.summary.timeToReadySeconds.p99;
      const improvement = afterP99 > 0 ? round(beforeP99 / afterP99, 2) : null;
      const predictionError =
        prediction?.recommended && afterP99 > 0
          ? round(Math.abs(prediction.recommended.p99Ms / 1000 - afterP99) / afterP99, 3)
          : null;
      return {
        setup: {
          machines: count,
          rate: RATE,
          performanceYaml: WRONG_DEFAULTS,
          provisionTime: 'fixed:200ms',
          webhook: false,
          fsync: 'real',
        },
        before: before.summary,
        tune: {
          currentSource: tuned.currentSource,
          diagnosis: tuned.diagnosis,
          settings: tuned.settings,
          changed: changedKnobs(tuned),
          notes: tuned.notes,
          prediction: prediction
            ? {
                model: prediction.model,
                workSeconds: round(prediction.workSeconds, 4),
                measured: percentiles(tuned.measured),
                current: percentiles(prediction.current),
                recommended: percentiles(prediction.recommended),
                fit: prediction.fit,
                refused: prediction.refused,
              }
            : null,
        },
        reload: {
          seconds: reloadSeconds,
          maxConcurrentReconcilesReported: reported,
          note: 'tune --from before.json --apply -q (server-side apply, field manager vitictl), then /metrics polled every 0.5 s until vitistack_start_time_seconds moved (the operator re-exec’d) and controller_runtime_max_concurrent_reconciles{controller="machine"} equals the recommended workers',
        },
        after: after.summary,
        verdict: {
          improvementP99: improvement,
          improvementTarget: IMPROVEMENT_TARGET,
          improvementMet: improvement !== null && improvement >= IMPROVEMENT_TARGET,
          predictedP99: prediction?.recommended ? round(prediction.recommended.p99Ms / 1000, 2) : null,
          measuredP99: afterP99,
          predictionError,
          predictionErrorTarget: PREDICTION_ERROR_TARGET,
          predictionMet: predictionError !== null && predictionError <= PREDICTION_ERROR_TARGET,
          note: 'improvementP99 = before p99 / after p99 time-to-ready (from each RunResult apply.latency.timeToReady); predictionError = |prediction.recommended.p99 − after p99| / after p99, the prediction taken from tune -o json on before.json before anything was applied',
        },
      };
    },
  );
}

// ---------------------------------------------------------------------------------------------
// case 2: tuning must not raise workers when the client is QPS-bound

async function qpsBound(count: number) {
  return withLab({ performanceYaml: QPS_BOUND, provisionTime: 'fixed:10ms', webhook: false }, async (lab) => {
    const run = await applyRun(lab, count, 'qps-bound.json', QPS_BOUND_BOUND_MS, 'qps-bound');
    const tuned = await tuneJson(lab, 'qps-bound.json');
    writeFileSync(join(lab.work, 'tune-qps-bound.json'), JSON.stringify(tuned, null, 2));
    log(`tune: ${tuned.diagnosis.bottleneck}: ${tuned.diagnosis.message}`);
    const workers = tuned.recommendations.find((rec) => rec.knob === 'controller.maxConcurrentReconciles');
    const recommended = typeof workers?.recommended === 'number' ? workers.recommended : null;
    const checks = {
      bottleneckIsClientQps: tuned.diagnosis.bottleneck === 'client-qps',
      messageNamesQpsLimit:
        /rate limit/i.test(tuned.diagnosis.message) && /QPS 20\b/.test(tuned.diagnosis.message),
      workersNotRaised:
        workers !== undefined && (!workers.changed || (recommended !== null && recommended <= 16)),
    };
    return {
      setup: {
        machines: count,
        rate: RATE,
        performanceYaml: QPS_BOUND,
        provisionTime: 'fixed:10ms',
        webhook: false,
        fsync: 'real',
      },
      run: run.summary,
      tune: {
        currentSource: tuned.currentSource,
        diagnosis: tuned.diagnosis,
        refused: tuned.refused ?? null,
        maxConcurrentReconciles: workers
          ? {
              current: workers.current,
              recommended: workers.recommended,
              changed: workers.changed,
              why: workers.why,
            }
          : null,
        changed: changedKnobs(tuned),
        notes: tuned.notes,
        prediction: tuned.prediction
          ? {
              model: tuned.prediction.model,
              workSeconds: round(tuned.prediction.workSeconds, 4),
              current: percentiles(tuned.prediction.current),
              recommended: percentiles(tuned.prediction.recommended),
            }
          : null,
      },
      checks,
      passed: Object.values(checks).every(Boolean),
      note: 'checks: diagnosis.bottleneck === "client-qps"; the message names the rate limit and its value (QPS 20); controller.maxConcurrentReconciles not raised (changed false, or recommended ≤ 16). Only tune -o json was run here, nothing applied',
    };
  });
}

// ---------------------------------------------------------------------------------------------

async function runTuneBench(sizes: TuneBenchSizes): Promise<string> {
  const started = Date.now();
  const loadStart = load();
  process.stderr.write(`  case 1 (tuning must help), ${sizes.helpCount} Machines…\n`);
  const helps = await tuningHelps(sizes.helpCount);
  process.stderr.write(`  case 2 (QPS-bound: workers must not go up), ${sizes.qpsBoundCount} Machines…\n`);
  const bound = await qpsBound(sizes.qpsBoundCount);
  return writeResult(sizes.name ?? 'tune', {
    tuningHelps: helps,
    qpsBound: bound,
    summary: {
      beforeP50Seconds: helps.before.timeToReadySeconds.p50,
      beforeP99Seconds: helps.before.timeToReadySeconds.p99,
      predictedP99Seconds: helps.verdict.predictedP99,
      afterP50Seconds: helps.after.timeToReadySeconds.p50,
      afterP99Seconds: helps.after.timeToReadySeconds.p99,
      improvementP99: helps.verdict.improvementP99,
      improvementMet: helps.verdict.improvementMet,
      predictionError: helps.verdict.predictionError,
      predictionMet: helps.verdict.predictionMet,
      qpsBoundPassed: bound.passed,
    },
    loadAverage: { start: loadStart, end: load() },
    totalMinutes: round((Date.now() - started) / MINUTE, 1),
    note: `every run is \`node ${bin.replace(root, '')} …\` as a child process with KUBECONFIG=<lab kubeconfig>, against a fresh lab per case (kube-apiserver + etcd + the reference operator on 127.0.0.1, real fsync, webhook off); times-to-ready from each RunResult (client send → watch event with status.phase Running, percentiles of the HDR histogram). loadAverage = os.loadavg() 1/5/15 min on a machine shared with other work (CPU contention inflates reconcile and API latency alike)`,
  });
}

export function benchTune(): Promise<string> {
  return runTuneBench(FULL);
}
