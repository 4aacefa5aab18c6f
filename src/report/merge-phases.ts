import { maxOf, minOf } from '../util/extremes.js';
import { mergeSummaries } from './histogram.js';
import type { RunResult } from './run-result.js';
import type { PhaseLoad } from './sections/phase-load.js';
import { READ_KINDS, type ReadLoad } from './sections/read-load.js';

/**
 * The lifecycle phases of a run's shards, merged: each shard ran its share of every phase on its own
 * objects at the same time, so counts and rates add and the HDR histograms merge exactly.
 */

type PhaseEntry = RunResult['phases'][number];

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const MAX_FAILURES = 100;

function addRecords(all: Array<Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of all) for (const [key, n] of Object.entries(record)) total[key] = (total[key] ?? 0) + n;
  return total;
}

export function mergePhaseLoads(loads: PhaseLoad[]): PhaseLoad {
  const first = loads[0]!;
  if (loads.some((load) => load.verb !== first.verb))
    throw new Error(`the shards' phase ran different verbs (${loads.map((load) => load.verb).join(', ')})`);
  const counts = Object.fromEntries(
    Object.keys(first.counts).map((key) => [
      key,
      sum(loads.map((load) => load.counts[key as keyof PhaseLoad['counts']])),
    ]),
  ) as PhaseLoad['counts'];
  const gone = loads.flatMap((load) => load.latency.gone ?? []);
  return {
    verb: first.verb,
    requestedRate: sum(loads.map((load) => load.requestedRate)),
    selected: sum(loads.map((load) => load.selected)),
    counts,
    latency: {
      request: mergeSummaries(loads.map((load) => load.latency.request)),
      done: mergeSummaries(loads.map((load) => load.latency.done)),
      ...(gone.length > 0 ? { gone: mergeSummaries(gone) } : {}),
    },
    ...(first.deprovisioningSeen !== undefined
      ? { deprovisioningSeen: sum(loads.map((load) => load.deprovisioningSeen ?? 0)) }
      : {}),
    ...(first.cycles !== undefined ? { cycles: maxOf(loads.map((load) => load.cycles ?? 0)) } : {}),
    ...(loads.some((load) => load.notCreatedAgain !== undefined)
      ? { notCreatedAgain: sum(loads.map((load) => load.notCreatedAgain ?? 0)) }
      : {}),
    errors: addRecords(loads.map((load) => load.errors)),
    retries: sum(loads.map((load) => load.retries)),
    failures: loads.flatMap((load) => load.failures).slice(0, MAX_FAILURES),
    failureReasons: addRecords(loads.map((load) => load.failureReasons)),
  };
}

export function mergeReadLoads(reads: ReadLoad[]): ReadLoad {
  const counts = Object.fromEntries(
    Object.keys(reads[0]!.counts).map((key) => [
      key,
      sum(reads.map((read) => read.counts[key as keyof ReadLoad['counts']])),
    ]),
  ) as ReadLoad['counts'];
  return {
    requestedRate: sum(reads.map((read) => read.requestedRate)),
    // the shards read at the same time: their rates add
    achievedRate: sum(reads.map((read) => read.achievedRate)),
    seconds: maxOf(reads.map((read) => read.seconds)),
    counts,
    byKind: Object.fromEntries(
      READ_KINDS.map((kind) => [
        kind,
        {
          sent: sum(reads.map((read) => read.byKind[kind].sent)),
          ok: sum(reads.map((read) => read.byKind[kind].ok)),
          latency: mergeSummaries(reads.map((read) => read.byKind[kind].latency)),
        },
      ]),
    ) as ReadLoad['byKind'],
    latency: mergeSummaries(reads.map((read) => read.latency)),
    pages: sum(reads.map((read) => read.pages)),
    itemsListed: sum(reads.map((read) => read.itemsListed)),
    errors: addRecords(reads.map((read) => read.errors)),
    retries: sum(reads.map((read) => read.retries)),
  };
}

/** Each phase name once, over the union of the shards' windows, with what its shards measured merged. */
export function mergePhaseEntries(results: RunResult[]): PhaseEntry[] {
  const byName = new Map<string, PhaseEntry[]>();
  for (const result of results)
    for (const phase of result.phases) byName.set(phase.name, [...(byName.get(phase.name) ?? []), phase]);
  return [...byName].map(([name, entries]) => {
    const start = minOf(entries.map((entry) => Date.parse(entry.start)));
    const end = maxOf(entries.map((entry) => Date.parse(entry.end)));
    const loads = entries.flatMap((entry) => entry.load ?? []);
    const reads = entries.flatMap((entry) => entry.read ?? []);
    return {
      name,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      seconds: (end - start) / 1000,
      ...(loads.length > 0 ? { load: mergePhaseLoads(loads) } : {}),
      ...(reads.length > 0 ? { read: mergeReadLoads(reads) } : {}),
    };
  });
}
