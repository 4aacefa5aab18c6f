import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookResult } from '../src/report/sections/webhook.js';
import type { KubeObject } from '../src/scenario/expand.js';
import { ReviewFactory, resourceInfo } from '../src/webhook/admission-review.js';
import { runWebhookBench, type WebhookBenchOptions } from '../src/webhook/engine.js';
import { makeWebhookCerts, type WebhookServerOptions } from '../test/helpers/webhook-server.js';
import { median, root, writeResult } from './lib.js';

/**
 * webhook bench against its baselines, side by side in one run, all on 127.0.0.1: the test webhook
 * (Node https) runs in child processes so process.cpuUsage() here is the generator's alone.
 * 1. closed loop: vitictl's engine vs the raw autocannon CLI, same endpoint and connections;
 * 2. open loop at 500, 2,000 and 5,000 req/s: achieved rate, most starts in 10 ms, CPU per 1,000;
 * 3. latency resolution: a server with a fixed 300 µs delay vs one with none, ours beside autocannon's.
 */

const CLOSED_CONNECTIONS = [16, 64];
const CLOSED_SECONDS = 4;
const CLOSED_ROUNDS = 5;
const OPEN_RATES = [500, 2000, 5000];
const OPEN_SECONDS = 10;
const RESOLUTION_RATE = 500;
const RESOLUTION_SECONDS = 5;
const DELAY_MS = 0.3;

const round = (value: number, digits = 1) => +value.toFixed(digits);

export interface Server {
  port: number;
  url: string;
  child: ChildProcess;
}

/** The test webhook in a child process (its CPU is not the generator's). */
export async function startServer(options: WebhookServerOptions): Promise<Server> {
  const child = fork(join(root, 'test/helpers/webhook-server.ts'), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the test webhook did not start within 30 s')), 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve((message as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the test webhook exited (${code})`)));
  });
  return { port, url: `https://127.0.0.1:${port}/validate-machine`, child };
}

/** The median delay the server really added (µs) since the last reset. */
function serverDelayUs(server: Server): Promise<number> {
  return new Promise((resolve) => {
    const listen = (message: unknown) => {
      const m = message as { type?: string; medianDelayUs?: number };
      if (m.type !== 'stats') return;
      server.child.off('message', listen);
      resolve(m.medianDelayUs ?? 0);
    };
    server.child.on('message', listen);
    server.child.send({ type: 'stats' });
  });
}

function resetDelays(server: Server): void {
  server.child.send({ type: 'reset' });
}

export function stopServer(server: Server): void {
  if (server.child.connected) server.child.disconnect();
  if (server.child.exitCode === null) server.child.kill();
}

const MACHINE: KubeObject = {
  apiVersion: 'vitistack.io/v1alpha1',
  kind: 'Machine',
  metadata: { name: 'bench-0', namespace: 'default', labels: { 'vitictl.io/run-id': 'bench' } },
  spec: { memory: 2048, cpu: { cores: 2 }, os: { architecture: 'amd64' } },
};
const SOURCES = [{ object: MACHINE, resource: resourceInfo(MACHINE, 'machines', true) }];

function options(
  url: string,
  ca: string,
  load: WebhookBenchOptions['load'],
  seconds: number,
  warmupMs: number,
): WebhookBenchOptions {
  return {
    target: { url: new URL(url), ca, caOrigin: 'bench CA', insecure: false },
    webhook: {
      configuration: null,
      name: null,
      type: 'validating',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    },
    load,
    limit: { durationMs: seconds * 1000 },
    warmupMs,
    sources: SOURCES,
    scenario: { name: 'bench', file: 'bench', seed: 0, objects: 1 },
    operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
    dryRunShare: 0,
    context: '',
  };
}

interface RawAutocannon {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** user + system CPU of the autocannon process (start-up included), via /usr/bin/time */
  cpuMsPer1000Requests: number | null;
}

const TIME = '/usr/bin/time';

/** The raw autocannon CLI, as users run it: POST of one fixed AdmissionReview, --json. */
function rawAutocannon(url: string, connections: number, seconds: number): Promise<RawAutocannon> {
  const body = new ReviewFactory(SOURCES, {
    operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
    dryRunShare: 0,
  }).next().body;
  return new Promise((resolve, reject) => {
    const args = [
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-m',
      'POST',
      '-H',
      'content-type=application/json',
      '-b',
      body,
      '--json',
      `${url}?timeout=10s`,
    ];
    const autocannonBin = join(root, 'node_modules/.bin/autocannon');
    const timed = existsSync(TIME);
    const child = timed
      ? spawn(TIME, ['-f', 'cpu %U %S', autocannonBin, ...args], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(autocannonBin, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`autocannon exited ${code}`));
        return;
      }
      const result = JSON.parse(out) as {
        requests: { total: number };
        duration: number;
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(err);
      resolve({
        requestsPerSecond: round(result.requests.total / result.duration),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.errors,
        non2xx: result.non2xx,
        cpuMsPer1000Requests: cpu
          ? round(((Number(cpu[1]) + Number(cpu[2])) * 1e6) / result.requests.total, 1)
          : null,
      });
    });
  });
}

function summary(w: WebhookResult) {
  return {
    achievedRate: w.load.achievedRate,
    throughput: w.load.throughput,
    sent: w.requests.sent,
    failed: w.failurePolicy.failedCalls,
    p50Us: w.latency.p50,
    p99Us: w.latency.p99,
    maxUs: w.latency.max,
    uncorrectedP50Us: w.latencyUncorrected?.p50 ?? null,
    uncorrectedP99Us: w.latencyUncorrected?.p99 ?? null,
    startLagP50Ms: w.generator.startLagP50Ms,
    startLagP99Ms: w.generator.startLagP99Ms,
    maxStartsIn10ms: w.generator.maxStartsIn10ms,
    evenShareIn10ms: w.generator.evenShareIn10ms,
    lateStarts: w.generator.lateStarts,
    maxStartLagMs: w.generator.maxStartLagMs,
    cpuMsPer1000Requests: w.generator.cpuMsPer1000Requests,
    autocannonMs: w.autocannonLatencyMs,
  };
}

async function closedLoop(server: Server, ca: string) {
  const rows = [];
  for (const connections of CLOSED_CONNECTIONS) {
    const ours: ReturnType<typeof summary>[] = [];
    const raw: RawAutocannon[] = [];
    // alternate, so drift in the shared machine's load hits both alike
    for (let round_ = 0; round_ < CLOSED_ROUNDS; round_++) {
      raw.push(await rawAutocannon(server.url, connections, CLOSED_SECONDS));
      const { result } = await runWebhookBench(
        options(server.url, ca, { engine: 'closed', connections }, CLOSED_SECONDS, 0),
      );
      ours.push(summary(result.webhook));
    }
    const oursRps = median(ours.map((run) => run.throughput));
    const rawRps = median(raw.map((run) => run.requestsPerSecond));
    // each round's two runs are back to back: their ratio cancels most of the shared machine's drift
    const pairedRatio = median(
      ours.map((run, i) => run.throughput / (raw[i] as RawAutocannon).requestsPerSecond),
    );
    rows.push({
      connections,
      vitictlRequestsPerSecond: round(oursRps),
      autocannonCliRequestsPerSecond: round(rawRps),
      ratioOfMedians: round(oursRps / rawRps, 3),
      medianPairedRatio: round(pairedRatio, 3),
      vitictlCpuMsPer1000Requests: median(ours.map((run) => run.cpuMsPer1000Requests)),
      autocannonCliCpuMsPer1000Requests: median(raw.map((run) => run.cpuMsPer1000Requests ?? Number.NaN)),
      target: 'median paired ratio ≥ 0.9',
      met: pairedRatio >= 0.9,
      vitictlRuns: ours.map((run) => ({
        rps: run.throughput,
        p50Us: run.p50Us,
        p99Us: run.p99Us,
        failed: run.failed,
        cpuMsPer1000Requests: run.cpuMsPer1000Requests,
      })),
      autocannonRuns: raw,
    });
  }
  return rows;
}

async function openLoop(server: Server, ca: string) {
  const rows = [];
  for (const rate of OPEN_RATES) {
    const { result } = await runWebhookBench(
      options(server.url, ca, { engine: 'open', rate, maxConnections: 256 }, OPEN_SECONDS, 1000),
    );
    const s = summary(result.webhook);
    const burstLimit = 1.5 * (rate / 100);
    rows.push({
      requestedRate: rate,
      ...s,
      achievedWithin1Percent: Math.abs(s.achievedRate - rate) / rate <= 0.01,
      maxStartsIn10msLimit: burstLimit,
      burstWithinLimit: (s.maxStartsIn10ms ?? Number.POSITIVE_INFINITY) <= burstLimit,
      keptUp: result.webhook.generator.keptUp,
    });
  }
  return rows;
}

/**
 * A plain reference client (Node https, keep-alive, one request at a time, paced): the p50 of
 * request written → answer read, to hold vitictl's figure against.
 */
async function referenceP50Us(url: string, ca: string, rate: number, seconds: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  const factory = new ReviewFactory(SOURCES, {
    operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
    dryRunShare: 0,
  });
  const samples: number[] = [];
  const started = performance.now();
  let next = started;
  try {
    while (performance.now() - started < seconds * 1000) {
      const { body } = factory.next();
      const begin = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = httpsRequest(
          `${url}?timeout=10s`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      samples.push((performance.now() - begin) * 1000);
      next += 1000 / rate;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  } finally {
    agent.destroy();
  }
  // the first second is warm-up
  return round(median(samples.slice(rate)));
}

async function resolution(fast: Server, slow: Server, ca: string) {
  const open = async (server: Server) => {
    resetDelays(server);
    const run = summary(
      (
        await runWebhookBench(
          options(
            server.url,
            ca,
            { engine: 'open', rate: RESOLUTION_RATE, maxConnections: 256 },
            RESOLUTION_SECONDS,
            1000,
          ),
        )
      ).result.webhook,
    );
    return { ...run, serverDelayUs: await serverDelayUs(server) };
  };
  const baseline = await open(fast);
  const delayed = await open(slow);
  const closed = summary(
    (
      await runWebhookBench(
        options(slow.url, ca, { engine: 'closed', connections: 1 }, RESOLUTION_SECONDS, 0),
      )
    ).result.webhook,
  );
  const raw = await rawAutocannon(slow.url, 1, RESOLUTION_SECONDS);
  const reference = await referenceP50Us(slow.url, ca, RESOLUTION_RATE, RESOLUTION_SECONDS + 1);
  // the delay the server really added (its polling overshoots 300 µs a little), measured on its side
  const added = delayed.serverDelayUs - baseline.serverDelayUs;
  const delta = delayed.p50Us - baseline.p50Us;
  const uncorrectedDelta = (delayed.uncorrectedP50Us ?? 0) - (baseline.uncorrectedP50Us ?? 0);
  return {
    askedDelayUs: DELAY_MS * 1000,
    serverMeasuredAddedDelayUs: round(added),
    openLoopRate: RESOLUTION_RATE,
    vitictlP50UsNoDelay: baseline.p50Us,
    vitictlP50UsDelay: delayed.p50Us,
    vitictlP50DeltaUs: delta,
    errorUs: round(delta - added),
    vitictlUncorrectedP50UsNoDelay: baseline.uncorrectedP50Us,
    vitictlUncorrectedP50UsDelay: delayed.uncorrectedP50Us,
    vitictlUncorrectedP50DeltaUs: uncorrectedDelta,
    startLagP50Ms: [baseline.startLagP50Ms, delayed.startLagP50Ms],
    referenceClientP50Us: reference,
    vitictlP50MinusReferenceUs: round(delayed.p50Us - reference),
    vitictlUncorrectedP50MinusReferenceUs: round((delayed.uncorrectedP50Us ?? 0) - reference),
    target:
      'vitictl p50 (open loop, from intended start) within ±100 µs of a plain reference client’s p50 against the 300 µs server',
    met: Math.abs(delayed.p50Us - reference) <= 100,
    uncorrectedMet: Math.abs((delayed.uncorrectedP50Us ?? 0) - reference) <= 100,
    deltaMethodMet: Math.abs(delta - added) <= 100,
    vitictlClosedLoop1ConnP50Us: closed.p50Us,
    autocannonInsideVitictlP50Ms: closed.autocannonMs?.p50 ?? null,
    autocannonCliP50Ms: raw.p50Ms,
    autocannonCliP99Ms: raw.p99Ms,
  };
}

export async function benchWebhook(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-webhook-'));
  const servers: Server[] = [];
  const loadBefore = loadavg();
  try {
    const certs = await makeWebhookCerts(dir);
    const ca = readFileSync(certs.ca, 'utf8');
    const fast = await startServer({ cert: certs.cert, key: certs.key });
    servers.push(fast);
    const slow = await startServer({ cert: certs.cert, key: certs.key, delayMs: DELAY_MS });
    servers.push(slow);
    process.stderr.write('  closed loop vs autocannon…\n');
    const closed = await closedLoop(fast, ca);
    process.stderr.write('  open loop 500 / 2,000 / 5,000 req/s…\n');
    const open = await openLoop(fast, ca);
    process.stderr.write('  latency resolution (300 µs server)…\n');
    const latency = await resolution(fast, slow, ca);
    const loadAfter = loadavg();
    return writeResult('webhook', {
      note: 'all traffic to 127.0.0.1; the test webhook (Node https, test/helpers/webhook-server.ts) runs in child processes; vitictl engines in this process (process.cpuUsage = generator); CPU shared with other work on this machine (see loadAverage)',
      loadAverage: {
        before: loadBefore.map((v) => round(v, 2)),
        after: loadAfter.map((v) => round(v, 2)),
      },
      closedLoop: closed,
      openLoop: open,
      latencyResolution: latency,
      targets: {
        closedLoopAtLeast90PercentOfAutocannon: closed.every((row) => row.met),
        openLoopAchievedWithin1Percent: open.every((row) => row.achievedWithin1Percent),
        openLoopMax10msWindowWithin1_5x: open.every((row) => row.burstWithinLimit),
        latencyResolutionP50Within100us: latency.met,
        latencyResolutionUncorrectedP50Within100us: latency.uncorrectedMet,
      },
      medianOf: CLOSED_ROUNDS,
    });
  } finally {
    for (const server of servers) stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
