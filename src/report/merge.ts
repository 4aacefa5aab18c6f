import { inputError } from '../errors.js';
import { maxOf, minOf } from '../util/extremes.js';
import { mergeSummaries } from './histogram.js';
import { mergePhaseEntries } from './merge-phases.js';
import type { ApplyResult, GroundTruth, ObjectCounts, RunResult, SetResult } from './run-result.js';
import type { CleanupResult } from './sections/cleanup.js';
import { cpuWaitShare, type Pacing } from './sections/pacing.js';
import type { WebhookResult } from './sections/webhook.js';

/**
 * Shards of one run (--shard i/N) → the run: counts add, HDR histograms merge exactly, rates are taken
 * over the union of the shards' time windows. Refuses inputs that are not all the shards of one run.
 * Gates are re-evaluated by the caller on the merged result (they depend on the whole).
 */

export interface ShardFile {
  file: string;
  result: RunResult;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const ms = (iso: string) => new Date(iso).getTime();
const iso = (t: number) => new Date(t).toISOString();
const round2 = (value: number) => Math.round(value * 100) / 100;
/** null when any shard did not measure it (a sum of some shards would pass for the whole) */
const nullableSum = (values: Array<number | null>) =>
  values.some((v) => v === null) ? null : sum(values as number[]);
const nullableMax = (values: Array<number | null>) =>
  values.some((v) => v === null) ? null : maxOf(values as number[]);

function checkShards(inputs: ShardFile[]): ShardFile[] {
  if (inputs.length === 0)
    throw inputError('nothing to merge', { hint: 'vitictl report merge shard-*.json' });
  for (const { file, result } of inputs) {
    if (!result.shard) {
      throw inputError(`${file} is not a shard (it has no shard section)`, {
        hint: 'merge takes the results of runs made with --shard i/N',
      });
    }
  }
  const [first] = inputs as [ShardFile, ...ShardFile[]];
  const shard = first.result.shard!;
  const describe = (r: RunResult) =>
    `run ${r.runId}, scenario ${r.scenario.name} seed ${r.scenario.seed} (${r.shard!.scenarioObjects} objects in ${r.shard!.count} shards)${r.profile ? `, profile ${r.profile.name}` : ''}${r.webhook ? ', webhook bench' : ''}${r.apply ? ', apply' : ''}`;
  for (const { file, result } of inputs.slice(1)) {
    if (describe(result) !== describe(first.result)) {
      throw inputError(`${file} is not a shard of the same run as ${first.file}`, {
        hint: `${file}: ${describe(result)}; ${first.file}: ${describe(first.result)}`,
      });
    }
  }
  const byIndex = new Map<number, string>();
  for (const { file, result } of inputs) {
    const seen = byIndex.get(result.shard!.index);
    if (seen !== undefined) {
      throw inputError(`shard ${result.shard!.index}/${shard.count} is given twice: ${seen} and ${file}`);
    }
    byIndex.set(result.shard!.index, file);
  }
  // the count is the files' word: name the first missing ones without listing (or allocating) them all
  const missing: number[] = [];
  for (let i = 0; i < shard.count && missing.length < 10; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0) {
    const absent = shard.count - byIndex.size;
    const more =
      absent > missing.length ? ` and ${(absent - missing.length).toLocaleString('en-US')} more` : '';
    throw inputError(
      `missing shard${absent > 1 ? 's' : ''} ${missing.join(', ')}${more} of ${shard.count.toLocaleString('en-US')} (run ${first.result.runId})`,
      {
        hint: `have ${[...byIndex]
          .slice(0, 10)
          .map(([i, file]) => `${i} (${file})`)
          .join(', ')}${byIndex.size > 10 ? ', …' : ''}`,
      },
    );
  }
  const ordered = [...inputs].sort((a, b) => a.result.shard!.index - b.result.shard!.index);
  const objects = sum(ordered.map(({ result }) => result.scenario.objects));
  if (objects !== shard.scenarioObjects) {
    throw inputError(
      `the shards hold ${objects} objects, the scenario ${shard.scenarioObjects}: they were not split from one scenario`,
    );
  }
  return ordered;
}

function addCounts(all: ObjectCounts[]): ObjectCounts {
  const keys = Object.keys(all[0]!) as Array<keyof ObjectCounts>;
  return Object.fromEntries(keys.map((key) => [key, sum(all.map((c) => c[key]))])) as ObjectCounts;
}

function addRecords(all: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of all)
    for (const [key, value] of Object.entries(record)) out[key] = (out[key] ?? 0) + value;
  return out;
}

function mergeSets(all: SetResult[][]): SetResult[] {
  return all[0]!.map((set) => {
    const same = all.map((sets) => sets.find((other) => other.set === set.set)!);
    return {
      ...set,
      counts: addCounts(same.map((s) => s.counts)),
      latency: {
        create: mergeSummaries(same.map((s) => s.latency.create)),
        timeToReady: mergeSummaries(same.map((s) => s.latency.timeToReady)),
        serverTimeToReady: mergeSummaries(same.map((s) => s.latency.serverTimeToReady)),
      },
    };
  });
}

/** A section only some shards recorded describes only those: merged when every shard has it. */
function mergedWhenAll<T, R>(parts: Array<T | undefined>, merge: (present: T[]) => R): R | undefined {
  return parts.every((part) => part !== undefined) ? merge(parts as T[]) : undefined;
}

function mergeGroundTruth(all: GroundTruth[]): GroundTruth {
  return {
    source: [...new Set(all.map((g) => g.source))].join(', '),
    matched: sum(all.map((g) => g.matched)),
    unmatched: sum(all.map((g) => g.unmatched)),
    readBeforeLogged: sum(all.map((g) => g.readBeforeLogged)),
    commitToRead: mergeSummaries(all.map((g) => g.commitToRead)),
    readToMarked: mergeSummaries(all.map((g) => g.readToMarked)),
    commitToMarked: mergeSummaries(all.map((g) => g.commitToMarked)),
  };
}

function mergePacing(all: Pacing[]): Pacing {
  const lateStretchMs = +sum(all.map((p) => p.lateStretchMs)).toFixed(1);
  const cpuWaitMs = nullableSum(all.map((p) => p.cpuWaitMs));
  return {
    lateness: mergeSummaries(all.map((p) => p.lateness)),
    lateStretches: sum(all.map((p) => p.lateStretches)),
    lateStretchMs,
    cpuWaitMs: cpuWaitMs === null ? null : +cpuWaitMs.toFixed(1),
    cpuWaitShare: cpuWaitShare(cpuWaitMs, lateStretchMs),
    ...(all.every((p) => p.inFlightLimit !== undefined && p.inFlightWaitMs !== undefined)
      ? {
          // each shard held its own calls: together they kept the sum unanswered
          inFlightLimit: sum(all.map((p) => p.inFlightLimit!)),
          inFlightWaitMs: +sum(all.map((p) => p.inFlightWaitMs!)).toFixed(1),
        }
      : {}),
  };
}

function mergeApply(all: ApplyResult[]): ApplyResult {
  const first = all[0]!;
  const start = minOf(all.map((a) => ms(a.creation.start)));
  const end = maxOf(all.map((a) => ms(a.creation.end)));
  const seconds = (end - start) / 1000;
  const counts = addCounts(all.map((a) => a.counts));
  const starts = counts.total - counts.notStarted;
  const series = new Map<number, { created: number; ready: number }>();
  for (const a of all) {
    const offset = Math.round((ms(a.creation.start) - start) / 1000);
    for (const point of a.series) {
      const slot = series.get(point.t + offset) ?? { created: 0, ready: 0 };
      slot.created += point.created;
      slot.ready += point.ready;
      series.set(point.t + offset, slot);
    }
  }
  return {
    ...first,
    requestedRate: nullableSum(all.map((a) => a.requestedRate)),
    burst: nullableSum(all.map((a) => a.burst)),
    concurrency: nullableSum(all.map((a) => a.concurrency)),
    achievedRate: seconds > 0 ? round2(starts / seconds) : 0,
    createThroughput: seconds > 0 ? round2(counts.created / seconds) : 0,
    // the shards ran side by side: their completion rates add up
    completedRate: nullableSum(all.map((a) => a.completedRate ?? null)),
    maxStartsIn100ms: sum(all.map((a) => a.maxStartsIn100ms)),
    lateStarts: sum(all.map((a) => a.lateStarts)),
    scheduleSlips: sum(all.map((a) => a.scheduleSlips)),
    pacing: mergedWhenAll(
      all.map((a) => a.pacing),
      mergePacing,
    ),
    warmConnections: mergedWhenAll(
      all.map((a) => a.warmConnections),
      sum,
    ),
    creation: { start: iso(start), end: iso(end), seconds },
    counts,
    sets: mergeSets(all.map((a) => a.sets)),
    latency: {
      create: mergeSummaries(all.map((a) => a.latency.create)),
      timeToReady: mergeSummaries(all.map((a) => a.latency.timeToReady)),
      serverTimeToReady: mergeSummaries(all.map((a) => a.latency.serverTimeToReady)),
      watchLag: mergeSummaries(all.map((a) => a.latency.watchLag)),
      ownLag: mergedWhenAll(
        all.map((a) => a.latency.ownLag),
        mergeSummaries,
      ),
    },
    groundTruth: mergedWhenAll(
      all.map((a) => a.groundTruth),
      mergeGroundTruth,
    ),
    errors: addRecords(all.map((a) => a.errors)),
    retries: sum(all.map((a) => a.retries)),
    attempts: {
      retriedObjects: sum(all.map((a) => a.attempts.retriedObjects)),
      maxAttempts: maxOf(all.map((a) => a.attempts.maxAttempts)),
      throttledObjects: sum(all.map((a) => a.attempts.throttledObjects)),
      throttledSeconds: +sum(all.map((a) => a.attempts.throttledSeconds)).toFixed(3),
    },
    failures: all.flatMap((a) => a.failures),
    failureReasons: addRecords(all.map((a) => a.failureReasons)),
    series: [...series.entries()].sort(([a], [b]) => a - b).map(([t, slot]) => ({ t, ...slot })),
    watch: {
      scope: first.watch.scope,
      watches: sum(all.map((a) => a.watch.watches)),
      reconnects: sum(all.map((a) => a.watch.reconnects)),
      relists: sum(all.map((a) => a.watch.relists)),
      readyFromRelist: sum(all.map((a) => a.watch.readyFromRelist)),
      eventsBeforeAck: sum(all.map((a) => a.watch.eventsBeforeAck)),
      gaps: all.flatMap((a) => a.watch.gaps),
    },
  };
}

function mergeCleanup(all: CleanupResult[]): CleanupResult {
  const notes = [...new Set(all.map((c) => c.note).filter((note): note is string => note !== undefined))];
  const found = all.map((c) => c.found);
  const leftCounts = all.map((c) => c.leftBehindCount);
  const waits = all.flatMap((c) => (c.namespacesWait ? [c.namespacesWait] : []));
  return {
    ...(found.every((n) => n !== undefined) ? { found: sum(found) } : {}),
    deleted: sum(all.map((c) => c.deleted)),
    alreadyGone: sum(all.map((c) => c.alreadyGone)),
    failed: sum(all.map((c) => c.failed)),
    errors: addRecords(all.map((c) => c.errors)),
    retries: sum(all.map((c) => c.retries)),
    namespacesDeleted: all.flatMap((c) => c.namespacesDeleted),
    namespacesFailed: all.flatMap((c) => c.namespacesFailed),
    leftBehind: all.flatMap((c) => c.leftBehind).slice(0, 1000),
    ...(leftCounts.every((n) => n !== undefined) ? { leftBehindCount: sum(leftCounts) } : {}),
    problems: [...new Set(all.flatMap((c) => c.problems))],
    seconds: maxOf(all.map((c) => c.seconds)),
    ...(waits.length > 0
      ? {
          namespacesWait: {
            seconds: maxOf(waits.map((w) => w.seconds)),
            timedOut: waits.some((w) => w.timedOut),
          },
        }
      : {}),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

function measureWindow(result: RunResult): [number, number] | undefined {
  const measure = result.phases.find((phase) => phase.name === 'webhook-measure');
  return measure ? [ms(measure.start), ms(measure.end)] : undefined;
}

function mergeWebhook(all: WebhookResult[], shards: ShardFile[]): WebhookResult {
  const first = all[0]!;
  const windows = shards.map(({ result }) => measureWindow(result));
  const span =
    windows.every((w) => w !== undefined) && windows.length > 0
      ? (maxOf(windows.map((w) => w![1])) - minOf(windows.map((w) => w![0]))) / 1000
      : maxOf(all.map((w) => w.load.durationSeconds));
  const sent = sum(all.map((w) => w.requests.sent));
  const ended = sum(all.map((w) => w.requests.ended));
  const cpuMs = sum(all.map((w) => w.generator.cpuMs));
  const addKeys = <T extends Record<string, number>>(pick: (w: WebhookResult) => T): T =>
    addRecords(all.map(pick)) as T;
  return {
    ...first,
    tls: { ...first.tls, insecureSkipTlsVerify: all.some((w) => w.tls.insecureSkipTlsVerify) },
    load: {
      ...first.load,
      requestedRate: nullableSum(all.map((w) => w.load.requestedRate)),
      connections: sum(all.map((w) => w.load.connections)),
      achievedRate: span > 0 ? round2(sent / span) : 0,
      throughput: span > 0 ? round2(ended / span) : 0,
      durationSeconds: span,
      operations: addKeys((w) => w.load.operations),
      dryRun: sum(all.map((w) => w.load.dryRun)),
      objects: sum(all.map((w) => w.load.objects)),
    },
    requests: addKeys((w) => w.requests),
    counts: addKeys((w) => w.counts),
    allowed: sum(all.map((w) => w.allowed)),
    denied: sum(all.map((w) => w.denied)),
    deniedWithoutStatus: sum(all.map((w) => w.deniedWithoutStatus)),
    patched: sum(all.map((w) => w.patched)),
    warnings: sum(all.map((w) => w.warnings)),
    errors: addRecords(all.map((w) => w.errors)),
    failurePolicy: {
      policy: first.failurePolicy.policy,
      admitted: sum(all.map((w) => w.failurePolicy.admitted)),
      rejected: sum(all.map((w) => w.failurePolicy.rejected)),
      failedCalls: sum(all.map((w) => w.failurePolicy.failedCalls)),
    },
    latency: mergeSummaries(all.map((w) => w.latency)),
    latencyUncorrected: all.every((w) => w.latencyUncorrected)
      ? mergeSummaries(all.map((w) => w.latencyUncorrected!))
      : null,
    apiServerBuckets: first.apiServerBuckets.map((bucket, i) => ({
      le: bucket.le,
      count: sum(all.map((w) => w.apiServerBuckets[i]?.count ?? 0)),
    })),
    generator: {
      keptUp: all.every((w) => w.generator.keptUp),
      lateStarts: nullableSum(all.map((w) => w.generator.lateStarts)),
      maxStartLagMs: nullableMax(all.map((w) => w.generator.maxStartLagMs)),
      startLagP50Ms: nullableMax(all.map((w) => w.generator.startLagP50Ms)),
      startLagP99Ms: nullableMax(all.map((w) => w.generator.startLagP99Ms)),
      pacing: all.every((w) => w.generator.pacing) ? mergePacing(all.map((w) => w.generator.pacing!)) : null,
      maxStartsIn10ms: nullableSum(all.map((w) => w.generator.maxStartsIn10ms)),
      evenShareIn10ms: nullableSum(all.map((w) => w.generator.evenShareIn10ms)),
      cpuMs,
      cpuMsPer1000Requests: sent > 0 ? round2((1000 * cpuMs) / sent) : 0,
    },
    // autocannon's 1 ms percentiles cannot be merged
    autocannonLatencyMs: null,
    notes: [...new Set(all.flatMap((w) => w.notes))],
  };
}

export const MERGE_METHODS = {
  merge:
    'report merge of N shards: counts, errors and retries added; HDR histograms added exactly (percentiles as if one process had recorded every value); rates = the shards’ totals over the union of their time windows; maxStartsIn100ms is the sum of the shards’ maxima (an upper bound); the controller signals (observe) and the API server’s (apiserver) are those of the shard that scraped them (shard 0), taken over its own window; the lifecycle phases (update, delete, churn, read) merged by name: each shard ran its share on its own objects, so counts and requested rates add and their histograms merge exactly; the tuning recommendation is not carried over (run vitictl tune --from the merged file); the shards’ start-lag percentiles (startLagP50Ms, startLagP99Ms) are merged as their maximum, their pacing histograms exactly',
} as const;

/** Merge the shards of one run; throws an input error naming what does not fit. */
export function mergeShards(inputs: ShardFile[]): RunResult {
  const shards = checkShards(inputs);
  const results = shards.map(({ result }) => result);
  const first = results[0]!;
  const applies = results.map((r) => r.apply).filter((a): a is ApplyResult => a !== undefined);
  if (applies.length > 0 && new Set(applies.map((a) => a.mode)).size > 1) {
    throw inputError('the shards ran different load modes (open and closed loop): not one run');
  }
  const cleanups = results.map((r) => r.cleanup).filter((c): c is CleanupResult => c !== undefined);
  const cpuSeconds = sum(results.map((r) => r.overhead?.cpuSeconds ?? 0));
  const startedAt = minOf(results.map((r) => ms(r.startedAt)));
  const endedAt = maxOf(results.map((r) => ms(r.endedAt)));
  const wallSeconds = (endedAt - startedAt) / 1000;
  const profiles = results.flatMap((r) => r.profiles ?? []);
  const observed = results.find((r) => r.observe);
  const apiserver = results.find((r) => r.apiserver)?.apiserver;
  const { shard: _shard, tune: _tune, gates: _gates, ...rest } = first;
  return {
    ...rest,
    scenario: { ...first.scenario, objects: first.shard!.scenarioObjects },
    mergedFrom: shards.map(({ file, result }) => ({
      shard: result.shard!.index,
      file,
      runId: result.runId,
      startedAt: result.startedAt,
    })),
    startedAt: iso(startedAt),
    endedAt: iso(endedAt),
    interrupted: results.some((r) => r.interrupted),
    phases: mergePhaseEntries(results),
    ...(applies.length === results.length ? { apply: mergeApply(applies) } : { apply: undefined }),
    ...(cleanups.length > 0 ? { cleanup: mergeCleanup(cleanups) } : { cleanup: undefined }),
    ...(observed?.observe ? { observe: observed.observe } : { observe: undefined }),
    apiserver,
    ...(results.every((r) => r.webhook)
      ? {
          webhook: mergeWebhook(
            results.map((r) => r.webhook!),
            shards,
          ),
        }
      : { webhook: undefined }),
    ...(profiles.length > 0 ? { profiles } : { profiles: undefined }),
    ...(results.every((r) => r.overhead)
      ? { overhead: { cpuSeconds, wallSeconds, share: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0 } }
      : { overhead: undefined }),
    methods: { ...first.methods, ...MERGE_METHODS },
  };
}
