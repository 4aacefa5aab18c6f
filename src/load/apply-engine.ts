import { setTimeout as sleep } from 'node:timers/promises';
import { inputError, runtimeError } from '../errors.js';
import type { ApiResource } from '../kube/discovery.js';
import { RUN_ID_LABEL } from '../kube/labels.js';
import { compileReadiness, type ReadinessCheck } from '../kube/readiness.js';
import { type KubeRest, NetworkError, type RestResponse, statusMessage, unreachable } from '../kube/rest.js';
import { newRetryCounters, type RetryCounters } from '../kube/retry.js';
import { ResumableWatch } from '../kube/watch.js';
import { newHistogram, summarize } from '../report/histogram.js';
import type { ApplyResult, ObjectCounts, SetResult } from '../report/run-result.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { isPlainObject } from '../util/plain-object.js';
import { createWithRetry } from './create.js';
import { EvenSchedule } from './rate-limiter.js';
import { type ObjectRecord, ObjectTracker } from './tracker.js';

export type LoadMode =
  | { mode: 'open'; rate: number; burst: number }
  | { mode: 'closed'; concurrency: number };

export interface ApplyEngineOptions {
  plan: ScenarioPlan;
  rest: KubeRest;
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
  phase: 'namespaces' | 'creating' | 'waiting' | 'done';
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
  ready?: number;
  creationTimestamp?: string;
  reason?: string;
}

export interface ApplyEngineOutput {
  apply: ApplyResult;
  /** every started object's timeline, for --timeline */
  timelines(): Generator<TimelineRow>;
  createdNamespaces: string[];
  interrupted: boolean;
  creationStart: Date;
  creationEnd: Date;
}

const wall = (t: number) => new Date(performance.timeOrigin + t);

async function createNamespaces(rest: KubeRest, plan: ScenarioPlan): Promise<string[]> {
  const created: string[] = [];
  for (const namespace of plan.namespaceObjects()) {
    const name = namespace.metadata.name;
    let response: RestResponse;
    try {
      response = await rest.request('POST', '/api/v1/namespaces', { body: namespace, timeoutMs: 30_000 });
    } catch (error) {
      if (error instanceof NetworkError) throw unreachable(rest.server, error);
      throw error;
    }
    if (response.status === 201) {
      created.push(name);
      continue;
    }
    if (response.status === 409) {
      const existing = await rest.request('GET', `/api/v1/namespaces/${name}`, { timeoutMs: 30_000 });
      const labels =
        isPlainObject(existing.body) && isPlainObject(existing.body.metadata)
          ? existing.body.metadata.labels
          : undefined;
      if (isPlainObject(labels) && labels[RUN_ID_LABEL] === plan.runId) continue;
      throw inputError(`namespace ${name} already exists and was not created by run ${plan.runId}`, {
        hint: 'use another --run-id, or namespaces.create: false in the scenario to reuse existing namespaces',
      });
    }
    throw runtimeError(`creating namespace ${name} failed: ${response.status} ${statusMessage(response)}`);
  }
  return created;
}

function emptyCounts(): ObjectCounts {
  return {
    total: 0,
    ready: 0,
    failed: 0,
    timedOut: 0,
    notWaited: 0,
    interrupted: 0,
    notStarted: 0,
    created: 0,
  };
}

function maxInWindow(starts: number[], windowMs: number): number {
  let best = 0;
  let left = 0;
  for (let right = 0; right < starts.length; right++) {
    while ((starts[right] as number) - (starts[left] as number) >= windowMs) left++;
    best = Math.max(best, right - left + 1);
  }
  return best;
}

function readinessText(plan: ScenarioPlan, setIndex: number): string {
  const ready = plan.sets[setIndex]?.spec.ready;
  if (!ready) return 'none (not waited on)';
  const parts: string[] = [];
  if (ready.condition) parts.push(`condition ${ready.condition.type}=${ready.condition.status}`);
  if (ready.field) parts.push(`${ready.field.path} = ${String(ready.field.equals)}`);
  return parts.join(' and ');
}

/**
 * Create every object of the plan at the requested rate (open loop) or concurrency (closed loop), time
 * each until ready through watches, and return the data for the RunResult. Prints nothing; progress goes
 * to `onProgress`. On abort it stops creating, lets in-flight creates finish (so the accounting stays
 * exact), and returns what it has.
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
  let phase: ApplyProgress['phase'] = 'namespaces';

  const createdNamespaces = await createNamespaces(rest, plan);

  // one watch per resource (and per namespace when RBAC allows no more), open before the first create
  const gaps: ApplyResult['watch']['gaps'] = [];
  const watches: ResumableWatch[] = [];
  const watched = new Set<string>();
  for (let i = 0; i < plan.sets.length; i++) {
    if (!checks[i]) continue;
    const resource = resourceOf(i);
    const key = `${resource.apiVersion}/${resource.kind}`;
    if (watched.has(key)) continue;
    watched.add(key);
    const scopes = resource.namespaced && options.watchScope === 'namespaces' ? plan.namespaces : [undefined];
    for (const namespace of scopes) {
      const watch = new ResumableWatch(rest, resource, namespace, plan.labelSelector, {
        onEvent: (type, object, at) => tracker.observe(object, at, type, resource.kind),
        onRelist: (objects, at) => {
          for (const object of objects) tracker.observe(object, at, 'RELIST', resource.kind);
        },
        onGap: (start, end, reason) =>
          gaps.push({
            resource: watch.name,
            start: start.toISOString(),
            end: end.toISOString(),
            seconds: (end.getTime() - start.getTime()) / 1000,
            reason,
          }),
      });
      watches.push(watch);
    }
  }
  try {
    await Promise.all(watches.map((watch) => watch.start()));
  } catch (error) {
    await Promise.all(watches.map((watch) => watch.stop()));
    if (error instanceof NetworkError) throw unreachable(rest.server, error);
    throw runtimeError(`could not open the readiness watches: ${(error as Error).message}`);
  }

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
  const progress = () => {
    const now = performance.now();
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

  phase = 'creating';
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
          for (;;) {
            const next = schedule.next(performance.now());
            if (next.go) {
              intended = next.intended;
              break;
            }
            // wake a little early: setTimeout fires late, never early
            if (next.waitMs > 1.5) await sleep(next.waitMs - 1);
            else await new Promise<void>((resolve) => setImmediate(resolve));
          }
          if (inFlight >= maxInFlight) await acquireSlot(maxInFlight);
          else inFlight++;
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
        counters,
        attempts,
        createdPerSecond,
        readyPerSecond,
        gaps,
        watches,
        readinessText: (i) => readinessText(plan, i),
        resourceOf,
      }),
      createdNamespaces,
      interrupted,
      *timelines() {
        const ms = (t: number | undefined) =>
          t === undefined ? undefined : Math.round((performance.timeOrigin + t) * 1000) / 1000;
        for (const record of tracker.all()) {
          const row: TimelineRow = {
            set: plan.sets[record.setIndex]!.spec.name,
            kind: record.kind,
            name: record.name,
            state: record.state,
          };
          if (record.namespace) row.namespace = record.namespace;
          const times = {
            intended: ms(record.intendedAt),
            sent: ms(record.sentAt),
            acknowledged: ms(record.ackAt),
            ready: ms(record.readyAt),
          };
          for (const [key, value] of Object.entries(times))
            if (value !== undefined) row[key as 'sent'] = value;
          if (record.creationTimestamp) row.creationTimestamp = record.creationTimestamp;
          if (record.reason) row.reason = record.reason;
          yield row;
        }
      },
      creationStart: wall(t0 || performance.now()),
      creationEnd: wall(creationEnd),
    };
  } finally {
    clearInterval(ticker);
    await Promise.all(watches.map((watch) => watch.stop()));
  }
}

interface AssembleInput {
  starts: number[];
  t0: number;
  lastAck: number;
  lateStarts: number;
  scheduleSlips: number;
  counters: RetryCounters;
  attempts: { retriedObjects: number; maxAttempts: number; throttledObjects: number };
  createdPerSecond: number[];
  readyPerSecond: number[];
  gaps: ApplyResult['watch']['gaps'];
  watches: ResumableWatch[];
  readinessText: (setIndex: number) => string;
  resourceOf: (setIndex: number) => ApiResource;
}

function assemble(
  options: ApplyEngineOptions,
  plan: ScenarioPlan,
  tracker: ObjectTracker,
  input: AssembleInput,
): ApplyResult {
  const perSet = plan.sets.map(() => emptyCounts());
  const total = emptyCounts();
  const failures: ApplyResult['failures'] = [];
  const failureReasons: Record<string, number> = {};
  for (const record of tracker.all()) {
    const counts = perSet[record.setIndex]!;
    if (record.ackAt !== undefined) {
      counts.created++;
      total.created++;
    }
    const state =
      record.state === 'planned' || record.state === 'creating' || record.state === 'pending'
        ? 'interrupted'
        : record.state;
    counts[state]++;
    total[state]++;
    if (state === 'failed' || state === 'timedOut') {
      const reason = (record.reason ?? state).slice(0, 160);
      failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
      if (failures.length < 100) {
        failures.push({
          kind: record.kind,
          ...(record.namespace ? { namespace: record.namespace } : {}),
          name: record.name,
          stage: record.stage ?? 'ready',
          reason,
        });
      }
    }
  }
  plan.sets.forEach((set, i) => {
    const counts = perSet[i]!;
    const seen = counts.ready + counts.failed + counts.timedOut + counts.notWaited + counts.interrupted;
    counts.notStarted = set.count - seen;
    counts.total = set.count;
    total.notStarted += counts.notStarted;
    total.total += set.count;
  });
  const merged = { create: newHistogram(), timeToReady: newHistogram(), serverTimeToReady: newHistogram() };
  const sets: SetResult[] = plan.sets.map((set, i) => {
    const stats = tracker.sets[i]!;
    merged.create.add(stats.create);
    merged.timeToReady.add(stats.timeToReady);
    merged.serverTimeToReady.add(stats.serverTimeToReady);
    const resource = input.resourceOf(i);
    return {
      set: set.spec.name,
      apiVersion: set.spec.apiVersion,
      kind: set.spec.kind,
      plural: resource.plural,
      namespaced: resource.namespaced,
      waited: options.wait && set.spec.ready !== undefined,
      readiness: options.wait ? input.readinessText(i) : 'not waited (--no-wait)',
      counts: perSet[i]!,
      latency: {
        create: summarize(stats.create),
        timeToReady: summarize(stats.timeToReady),
        serverTimeToReady: summarize(stats.serverTimeToReady),
      },
    };
  });
  const { starts, t0 } = input;
  const first = starts[0] ?? 0;
  const last = starts[starts.length - 1] ?? 0;
  const seconds = Math.max(input.createdPerSecond.length, input.readyPerSecond.length);
  const load = options.load;
  return {
    mode: load.mode,
    requestedRate: load.mode === 'open' ? load.rate : null,
    burst: load.mode === 'open' ? load.burst : null,
    concurrency: load.mode === 'closed' ? load.concurrency : null,
    achievedRate: starts.length > 1 ? +(((starts.length - 1) * 1000) / (last - first)).toFixed(2) : 0,
    createThroughput:
      total.created > 0 && input.lastAck > first
        ? +((total.created * 1000) / (input.lastAck - first)).toFixed(2)
        : 0,
    maxStartsIn100ms: maxInWindow(starts, 100),
    lateStarts: input.lateStarts,
    scheduleSlips: input.scheduleSlips,
    creation: {
      start: wall(t0 || first).toISOString(),
      end: wall(input.lastAck || last).toISOString(),
      seconds: +(((input.lastAck || last) - first) / 1000).toFixed(3),
    },
    counts: total,
    sets,
    latency: {
      create: summarize(merged.create),
      timeToReady: summarize(merged.timeToReady),
      serverTimeToReady: summarize(merged.serverTimeToReady),
      watchLag: summarize(tracker.watchLag),
    },
    errors: Object.fromEntries(input.counters.errors),
    retries: input.counters.retries,
    attempts: {
      ...input.attempts,
      throttledSeconds: +(input.counters.throttledMs / 1000).toFixed(3),
    },
    failures,
    failureReasons,
    series: Array.from({ length: seconds }, (_, t) => ({
      t,
      created: input.createdPerSecond[t] ?? 0,
      ready: input.readyPerSecond[t] ?? 0,
    })),
    watch: {
      scope: options.watchScope,
      watches: input.watches.length,
      reconnects: input.watches.reduce((sum, watch) => sum + watch.stats.reconnects, 0),
      relists: input.watches.reduce((sum, watch) => sum + watch.stats.relists, 0),
      readyFromRelist: tracker.readyFromRelist,
      eventsBeforeAck: tracker.eventsBeforeAck,
      gaps: input.gaps,
    },
  };
}
