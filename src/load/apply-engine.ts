import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiResource } from '../kube/discovery.js';
import { compileReadiness, type ReadinessCheck } from '../kube/readiness.js';
import type { KubeRest } from '../kube/rest.js';
import { newRetryCounters } from '../kube/retry.js';
import type { ApplyResult } from '../report/run-result.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { assemble, readinessText, timelines, wall } from './assemble.js';
import { openCpuWaitClock } from './cpu-wait.js';
import { createWithRetry } from './create.js';
import { connectionsToWarm, nextStart } from './pace.js';
import { EvenSchedule } from './rate-limiter.js';
import { openReadinessWatches } from './readiness-watches.js';
import { StartLateness } from './start-lateness.js';
import { type ObjectRecord, ObjectTracker } from './tracker.js';

export type LoadMode =
  | { mode: 'open'; rate: number; burst: number }
  | { mode: 'closed'; concurrency: number };

export interface ApplyEngineOptions {
  plan: ScenarioPlan;
  /** the creates' pool */
  rest: KubeRest;
  /** the readiness watches' pool */
  watchRest: KubeRest;
  /** from preflight, keyed "apiVersion/kind" */
  resources: Map<string, ApiResource>;
  watchScope: 'cluster' | 'namespaces';
  load: LoadMode;
  wait: boolean;
  /** overrides every set's readiness timeout */
  timeoutMs?: number | undefined;
  signal: AbortSignal;
  onProgress?: (progress: ApplyProgress) => void;
  /** open loop: most creates in flight before the generator counts itself late (memory guard) */
  maxInFlight?: number;
}

export interface ApplyProgress {
  phase: 'creating' | 'waiting' | 'done';
  planned: number;
  started: number;
  created: number;
  ready: number;
  failed: number;
  timedOut: number;
  waiting: number;
  /** starts per second over the last progress interval */
  rate: number;
  elapsedSeconds: number;
  /** requests failing right now (an attempt failed in the last 2 s): the latest cause, and since when */
  retrying?: { why: string; forSeconds: number };
}

/** One object's timeline in wall-clock milliseconds since the epoch (client clock). */
export interface TimelineRow {
  set: string;
  kind: string;
  namespace?: string;
  name: string;
  state: string;
  intended?: number;
  sent?: number;
  acknowledged?: number;
  /** the watch event that made it ready: when its bytes were read */
  ready?: number;
  /** when vitictl marked it ready */
  marked?: number;
  /** its resourceVersion when ready: the write that made it ready */
  readyVersion?: string;
  /** server clock, µs precision: that write's completion in the API server's audit log (--audit-log) */
  committed?: number;
  creationTimestamp?: string;
  reason?: string;
}

export interface ApplyEngineOutput {
  apply: ApplyResult;
  /** every started object's timeline, for --timeline */
  timelines(): Generator<TimelineRow>;
  interrupted: boolean;
  creationStart: Date;
  creationEnd: Date;
}

/**
 * Create every object of the plan (its namespaces exist already) at the requested rate (open loop) or
 * concurrency (closed loop), time each until ready through watches, and return the data for the
 * RunResult. Prints nothing; progress goes to `onProgress`. On abort it stops creating, lets in-flight
 * creates finish (so the accounting stays exact), and returns what it has.
 */
export async function runApply(options: ApplyEngineOptions): Promise<ApplyEngineOutput> {
  const { plan, rest, signal } = options;
  const checks: Array<ReadinessCheck | undefined> = plan.sets.map((set) =>
    options.wait && set.spec.ready ? compileReadiness(set.spec.ready) : undefined,
  );
  const tracker = new ObjectTracker(checks, plan.sets.length);
  const counters = newRetryCounters();
  const attempts = { retriedObjects: 0, maxAttempts: 0, throttledObjects: 0 };
  const resourceOf = (index: number) =>
    options.resources.get(`${plan.sets[index]!.spec.apiVersion}/${plan.sets[index]!.spec.kind}`)!;
  let phase: ApplyProgress['phase'] = 'creating';

  const { watches, gaps } = await openReadinessWatches(options, checks, resourceOf, tracker);

  // the connections the creates will use, opened before the first start: opened by the first creates,
  // their TLS handshakes made the schedule's first half second the run's latest starts
  const warmConnections = await rest.warm(
    connectionsToWarm(options.load, rest.connections ?? Number.POSITIVE_INFINITY),
    signal,
  );

  const starts: number[] = [];
  const createdPerSecond: number[] = [];
  const readyPerSecond: number[] = [];
  const started = new Array<number>(plan.sets.length).fill(0);
  let t0 = 0;
  let inFlight = 0;
  let lateStarts = 0;
  let lastAck = 0;
  let createdCount = 0;
  let readyCount = 0;
  let failedCount = 0;
  let timedOutCount = 0;
  const slotWaiters: Array<() => void> = [];
  const pendingCreates = new Set<Promise<void>>();
  const settledPerSet = new Array<number>(plan.sets.length).fill(0);
  const bucketAt = (t: number) => Math.max(0, Math.floor((t - t0) / 1000));
  tracker.on((event) => {
    if (event.type === 'ready') {
      readyCount++;
      const b = bucketAt(event.record.readyAt ?? performance.now());
      readyPerSecond[b] = (readyPerSecond[b] ?? 0) + 1;
    } else if (event.type === 'failed') failedCount++;
    else timedOutCount++;
    settledPerSet[event.record.setIndex] = (settledPerSet[event.record.setIndex] ?? 0) + 1;
  });

  let lastStarts = 0;
  let lastTick = performance.now();
  // when the current stretch of failing requests began (an API server gone quiet), for the progress line
  let failingSince: number | undefined;
  const progress = () => {
    const now = performance.now();
    const failure = counters.lastFailure;
    const failing = failure !== undefined && now - failure.at < 2000;
    failingSince = failing ? (failingSince ?? failure.at) : undefined;
    const total = starts.length;
    const rate = ((total - lastStarts) * 1000) / Math.max(1, now - lastTick);
    lastStarts = total;
    lastTick = now;
    options.onProgress?.({
      phase,
      planned: plan.totalObjects,
      started: total,
      created: createdCount,
      ready: readyCount,
      failed: failedCount,
      timedOut: timedOutCount,
      waiting: tracker.waiting,
      rate,
      elapsedSeconds: t0 ? (now - t0) / 1000 : 0,
      ...(failing && failingSince !== undefined
        ? { retrying: { why: failure.why, forSeconds: (now - failingSince) / 1000 } }
        : {}),
    });
  };
  const ticker = setInterval(() => {
    tracker.expire(performance.now());
    progress();
  }, 250);

  const release = () => {
    inFlight--;
    slotWaiters.shift()?.();
  };
  const acquireSlot = async (limit: number) => {
    while (inFlight >= limit) await new Promise<void>((resolve) => slotWaiters.push(resolve));
    inFlight++;
  };

  const schedule =
    options.load.mode === 'open'
      ? new EvenSchedule(options.load.rate, options.load.burst, performance.now())
      : undefined;
  const maxInFlight = options.load.mode === 'open' ? (options.maxInFlight ?? 2000) : options.load.concurrency;
  // opened here, on the thread that starts the creates: the file names the thread that opens it
  const cpuWait = schedule ? openCpuWaitClock() : null;
  const lateness = schedule ? new StartLateness(cpuWait, maxInFlight) : undefined;

  /** Wait until every object of the dependencies has settled (or, without waiting, been created). */
  const settledSets = async (names: string[]) => {
    const indices = names.map((name) => plan.sets.findIndex((set) => set.spec.name === name));
    for (;;) {
      const done = indices.every((i) => {
        const set = plan.sets[i]!;
        if (!checks[i]) return started[i] === set.count && inFlight === 0;
        return (settledPerSet[i] ?? 0) >= started[i]! && started[i] === set.count;
      });
      if (done || signal.aborted) return;
      await sleep(50);
    }
  };

  let interrupted = false;
  try {
    for (let setIndex = 0; setIndex < plan.sets.length && !signal.aborted; setIndex++) {
      const set = plan.sets[setIndex]!;
      const resource = resourceOf(setIndex);
      const timeoutMs = options.timeoutMs ?? set.timeoutMs;
      if (set.spec.dependsOn.length > 0) {
        await settledSets(set.spec.dependsOn);
        schedule?.restart(performance.now());
      }
      for (let index = 0; index < set.count; index++) {
        if (signal.aborted) break;
        let intended = performance.now();
        if (schedule) {
          intended = await nextStart(schedule, () => inFlight === 0);
          if (inFlight >= maxInFlight) {
            const heldFrom = performance.now();
            await acquireSlot(maxInFlight);
            lateness?.held(heldFrom, performance.now());
          } else inFlight++;
        } else {
          await acquireSlot(maxInFlight);
          intended = performance.now();
        }
        if (signal.aborted) {
          release();
          break;
        }
        const object = set.object(index);
        const sentAt = performance.now();
        if (t0 === 0) t0 = sentAt;
        if (schedule && sentAt - intended > 10) lateStarts++;
        lateness?.record(intended, sentAt);
        starts.push(sentAt);
        started[setIndex]!++;
        const record: ObjectRecord = tracker.register(
          setIndex,
          set.spec.kind,
          object.metadata.namespace,
          object.metadata.name,
        );
        tracker.markSent(record, intended, sentAt, timeoutMs);
        const promise = createWithRetry(
          rest,
          resource,
          object,
          plan.runId,
          sentAt + timeoutMs,
          counters,
          signal,
        ).then((outcome) => {
          if (outcome.attempts > 1) attempts.retriedObjects++;
          if (outcome.throttledMs > 0) attempts.throttledObjects++;
          attempts.maxAttempts = Math.max(attempts.maxAttempts, outcome.attempts);
          if (outcome.ok) {
            createdCount++;
            lastAck = Math.max(lastAck, outcome.ackAt);
            const b = bucketAt(outcome.ackAt);
            createdPerSecond[b] = (createdPerSecond[b] ?? 0) + 1;
            tracker.markCreated(record, outcome.ackAt, outcome.creationTimestamp);
            if (!checks[setIndex]) settledPerSet[setIndex]!++;
          } else {
            tracker.markCreateFailed(record, outcome.reason);
          }
          release();
        });
        pendingCreates.add(promise);
        void promise.finally(() => pendingCreates.delete(promise));
      }
    }
    await Promise.all(pendingCreates);
    const creationEnd = performance.now();
    phase = 'waiting';
    while (tracker.waiting > 0 && !signal.aborted) {
      tracker.expire(performance.now());
      await sleep(50);
    }
    if (signal.aborted) {
      interrupted = true;
      tracker.interruptWaiting();
    }
    phase = 'done';
    progress();
    return {
      apply: assemble(options, plan, tracker, {
        starts,
        t0,
        lastAck,
        lateStarts,
        scheduleSlips: schedule?.slips ?? 0,
        pacing: lateness?.summary(),
        warmConnections,
        counters,
        attempts,
        createdPerSecond,
        readyPerSecond,
        gaps,
        watches,
        readinessText: (i) => readinessText(plan, i),
        resourceOf,
      }),
      interrupted,
      timelines: () => timelines(plan, tracker),
      creationStart: wall(t0 || performance.now()),
      creationEnd: wall(creationEnd),
    };
  } finally {
    clearInterval(ticker);
    cpuWait?.close();
    await Promise.all(watches.map((watch) => watch.stop()));
  }
}
