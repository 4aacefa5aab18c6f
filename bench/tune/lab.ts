// What the tune bench's cases share: a fresh lab per case, vitictl as a child process, run summaries.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LabUpOptions, labDown, labUp } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import type { RunResult } from '../../src/report/run-result.js';
import type { TuneResult } from '../../src/report/sections/tune.js';
import { bin } from '../lib.js';

export const RATE = 100;
export const MINUTE = 60_000;
export const TUNE_BOUND_MS = 3 * MINUTE;
export const PROGRESS_EVERY_MS = MINUTE;
export const quiet = () => {};
export const log = (line: string) => process.stderr.write(`  ${line}\n`);
export const round = (value: number, digits = 3) => +value.toFixed(digits);
export const load = () => loadavg().map((value) => round(value, 2));

// ---------------------------------------------------------------------------------------------
// child processes and the lab

export interface Ran {
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
export async function vitictl(
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

export function failure(ran: Ran): Error {
  return new Error(
    `vitictl ${ran.args.join(' ')} exited ${ran.status ?? ran.signal}${ran.timedOut ? ' (timed out)' : ''} after ${ran.seconds}s:\n${ran.stderr.slice(-3000)}\n${ran.stdout.slice(-1000)}`,
  );
}

export interface Lab {
  state: LabState;
  env: NodeJS.ProcessEnv;
  metricsUrl: string;
  work: string;
}

export async function withLab<T>(
  options: Omit<LabUpOptions, 'dir'>,
  body: (lab: Lab) => Promise<T>,
): Promise<T> {
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
export function series(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
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

export async function scrape(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined; // the operator is re-executing
  }
}

export const MACHINE = { controller: 'machine' };

export function progress(lab: Lab, what: string): () => Promise<void> {
  return async () => {
    const text = await scrape(lab.metricsUrl);
    const reconciles = text ? series(text, 'controller_runtime_reconcile_total', MACHINE) : undefined;
    log(`${what}: machine reconciles ${reconciles ?? '?'}, load ${load().join(' ')}`);
  };
}

// ---------------------------------------------------------------------------------------------
// runs and their summaries

export const seconds = (ms: number) => round(ms / 1000, 2);

export function summarizeRun(file: string, ran: Ran, loadBefore: number[]) {
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

export function applyArgs(count: number, metricsUrl: string, out: string): string[] {
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

export async function applyRun(lab: Lab, count: number, out: string, boundMs: number, what: string) {
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

export async function tuneJson(lab: Lab, from: string): Promise<TuneResult & { configMap?: unknown }> {
  const ran = await vitictl(['tune', '--from', from, '-o', 'json'], {
    env: lab.env,
    cwd: lab.work,
    timeoutMs: TUNE_BOUND_MS,
  });
  if (ran.status !== 0) throw failure(ran);
  return JSON.parse(ran.stdout) as TuneResult & { configMap?: unknown };
}

export function changedKnobs(result: TuneResult) {
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
export const percentiles = (out: { p50Ms: number; p90Ms: number; p99Ms: number } | null) =>
  out && {
    p50: round(out.p50Ms / 1000, 2),
    p90: round(out.p90Ms / 1000, 2),
    p99: round(out.p99Ms / 1000, 2),
  };
