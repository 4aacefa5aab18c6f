import type { ApiResource } from '../kube/discovery.js';
import type { RetryCounters } from '../kube/retry.js';
import type { ResumableWatch } from '../kube/watch.js';
import { newHistogram, summarize } from '../report/histogram.js';
import type { ApplyResult, ObjectCounts, SetResult } from '../report/run-result.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import type { ApplyEngineOptions, TimelineRow } from './apply-engine.js';
import type { ObjectTracker } from './tracker.js';

/** The apply section of the RunResult from what the engine tracked: counts, histograms, rates, series. */

export const wall = (t: number) => new Date(performance.timeOrigin + t);

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

/**
 * The rate the cluster completed creates at: 1 / the least-squares slope of acknowledgement time over
 * the creates in the order they were sent. Constant latency gives the send rate; a server that falls
 * behind (latency growing with each create) gives the rate it really kept up with; one slow or quick
 * answer moves it little, unlike a first-to-last span. A cluster catching up after a slow start
 * completes faster than creates were sent for a while; it cannot keep up with more than was sent, so
 * the answer is at most `sentRate`. Null with fewer than two.
 */
export function completedRate(
  records: Iterable<{ sentAt?: number | undefined; ackAt?: number | undefined }>,
  sentRate: number,
): number | null {
  const acked: Array<{ sent: number; ack: number }> = [];
  for (const record of records)
    if (record.ackAt !== undefined && record.sentAt !== undefined)
      acked.push({ sent: record.sentAt, ack: record.ackAt });
  if (acked.length < 2) return null;
  acked.sort((a, b) => a.sent - b.sent);
  const n = acked.length;
  const meanX = (n - 1) / 2;
  const meanY = acked.reduce((total, point) => total + point.ack, 0) / n;
  let covariance = 0;
  let variance = 0;
  acked.forEach((point, x) => {
    covariance += (x - meanX) * (point.ack - meanY);
    variance += (x - meanX) ** 2;
  });
  const msPerCreate = covariance / variance;
  return msPerCreate > 0 ? Math.min(sentRate, +(1000 / msPerCreate).toFixed(2)) : null;
}

export function readinessText(plan: ScenarioPlan, setIndex: number): string {
  const ready = plan.sets[setIndex]?.spec.ready;
  if (!ready) return 'none (not waited on)';
  const parts: string[] = [];
  if (ready.condition) parts.push(`condition ${ready.condition.type}=${ready.condition.status}`);
  if (ready.field) parts.push(`${ready.field.path} = ${String(ready.field.equals)}`);
  return parts.join(' and ');
}

export interface AssembleInput {
  starts: number[];
  t0: number;
  lastAck: number;
  lateStarts: number;
  scheduleSlips: number;
  /** open loop only */
  pacing: ApplyResult['pacing'];
  warmConnections: number;
  counters: RetryCounters;
  attempts: { retriedObjects: number; maxAttempts: number; throttledObjects: number };
  createdPerSecond: number[];
  readyPerSecond: number[];
  gaps: ApplyResult['watch']['gaps'];
  watches: ResumableWatch[];
  readinessText: (setIndex: number) => string;
  resourceOf: (setIndex: number) => ApiResource;
}

export function assemble(
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
  const sentRate = starts.length > 1 ? +(((starts.length - 1) * 1000) / (last - first)).toFixed(2) : 0;
  return {
    mode: load.mode,
    requestedRate: load.mode === 'open' ? load.rate : null,
    burst: load.mode === 'open' ? load.burst : null,
    concurrency: load.mode === 'closed' ? load.concurrency : null,
    achievedRate: sentRate,
    createThroughput:
      total.created > 0 && input.lastAck > first
        ? +((total.created * 1000) / (input.lastAck - first)).toFixed(2)
        : 0,
    completedRate: completedRate(tracker.all(), sentRate),
    maxStartsIn100ms: maxInWindow(starts, 100),
    lateStarts: input.lateStarts,
    scheduleSlips: input.scheduleSlips,
    ...(input.pacing ? { pacing: input.pacing } : {}),
    warmConnections: input.warmConnections,
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
      ownLag: summarize(tracker.ownLag, 'us'),
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

/** Every started object's timeline in wall-clock ms (client clock), for --timeline. */
export function* timelines(plan: ScenarioPlan, tracker: ObjectTracker): Generator<TimelineRow> {
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
      marked: ms(record.markedAt),
    };
    for (const [key, value] of Object.entries(times)) if (value !== undefined) row[key as 'sent'] = value;
    if (record.readyVersion) row.readyVersion = record.readyVersion;
    if (record.creationTimestamp) row.creationTimestamp = record.creationTimestamp;
    if (record.reason) row.reason = record.reason;
    yield row;
  }
}
