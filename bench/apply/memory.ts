// The apply bench, part: memory and CPU of vitictl tracking 100,000 objects' readiness.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPerformanceYaml } from '../../src/lab/install.js';
import type { LabUpOptions } from '../../src/lab/lab.js';
import type { RunResult } from '../../src/report/run-result.js';
import { bin, root } from '../lib.js';
import { type Lab, load, log, MINUTE, withLab } from './lab.js';
import { childOf, procUsage, startGroup } from './proc.js';
import { round } from './stats.js';

/** VITICTL_BENCH_APPLY_MEMORY_OBJECTS overrides (for trying the harness; reported figures use 100,000) */
const MEMORY_OBJECTS = Number(process.env.VITICTL_BENCH_APPLY_MEMORY_OBJECTS ?? 100_000);
const MEMORY_FALLBACK_MAX = 50_000;
/**
 * Creates per second: about what the cheap operator turns Running on 2 shared cores while creates run
 * (VITICTL_BENCH_APPLY_MEMORY_QPS overrides). Unpaced, the creates ran 4× ahead of it, its queue and
 * the API server's watch caches grew, and 100,000 did not finish in 15 minutes.
 */
const MEMORY_QPS = Number(process.env.VITICTL_BENCH_APPLY_MEMORY_QPS ?? 60);
/** all ready within the creation time plus 15 minutes; stopped in any case 15 minutes after that */
const readyBoundMs = (count: number) => (count / MEMORY_QPS) * 1000 + 15 * 60_000;
const hardBoundMs = (count: number) => readyBoundMs(count) + 15 * 60_000;
const MEMORY_GRACE_MS = 5 * 60_000;
const MEMORY_TIMEOUT = '30m';

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
      '--qps',
      String(MEMORY_QPS),
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
    const overReadyBound = elapsed > readyBoundMs(count) && (ready ?? 0) < count;
    if (interruptedAtSeconds === undefined && (overReadyBound || elapsed > hardBoundMs(count))) {
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
  // bad input is the bench's own mistake, not a finding: no fallback run on it
  if (ran.status === 2)
    throw new Error(`vitictl refused the bench's command: ${readFileSync(files.err, 'utf8').slice(-500)}`);
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

export async function memory() {
  log(
    `memory: ${MEMORY_OBJECTS} objects at ${MEMORY_QPS}/s (bound ${round(readyBoundMs(MEMORY_OBJECTS) / MINUTE, 1)} min to all ready)…`,
  );
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
    note: `a fresh lab per run with a cheap operator (workers 32, provisionTime fixed:0s, apiCallsPerReconcile 0, webhook off, performance ConfigMap defaultPerformanceYaml(32, 5000)) and etcd --unsafe-no-fsync (to keep it short; not a setting for reported throughput). /usr/bin/time -f '%e %U %S %M' node --import ./bench/rss-hook.mjs bin/vitictl.js apply machines --count N --qps ${MEMORY_QPS} --timeout ${MEMORY_TIMEOUT} -o json -q, env VITICTL_BENCH_RSS_FILE; peakRssMiB = the hook's process.resourceUsage().maxRSS at exit (else /proc/<pid>/status VmHWM sampled every second); CPU = user + system seconds of the vitictl node process; wall = the whole command including cleanup (LIST + one DELETE per object, 16 in flight). --timeout ${MEMORY_TIMEOUT} instead of the scenario's 5m: with creates far ahead of the operator, objects wait in its queue for minutes, and a 5m per-object timeout measures the operator, not vitictl's tracking. --qps ${MEMORY_QPS}: about the rate the cheap operator sustains while creates run on 2 shared cores (unpaced, creates ran 4× ahead of it and 100,000 did not finish in 15 min). Bounds: if not all N are Running (operator's reconcile success count) N/${MEMORY_QPS} s + 15 min after start, or 15 min after that in any case, SIGINT to the process group (vitictl stops, cleans up, writes the partial result), SIGKILL ${MEMORY_GRACE_MS / MINUTE} min later. If ${MEMORY_OBJECTS} does not complete, a fallback count (80% of what the operator made Running within the bound, in 5k steps, 10k..${MEMORY_FALLBACK_MAX}) runs in a fresh lab. samplesEvery30s: the operator's controller_runtime_reconcile_total{controller="machine",result="success"} (one per Machine made Running in a fresh lab; it also counts reconciles of deleted objects once cleanup starts), vitictl's current RSS (/proc VmRSS), its peak so far (VmHWM) and CPU seconds; peakRssMiBBeforeInterrupt = VmHWM at the last sample before the SIGINT (the tracking phase only, before any cleanup). target.met: the reported run (100k if complete, else the fallback) all ready with peak RSS <= 400 MB (10^6 bytes)`,
  };
}
