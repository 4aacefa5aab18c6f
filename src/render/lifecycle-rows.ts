import type { LatencySummary } from '../report/histogram.js';
import type { RunResult } from '../report/run-result.js';
import type { PhaseLoad } from '../report/sections/phase-load.js';
import type { ReadLoad } from '../report/sections/read-load.js';

/**
 * The lifecycle phases of a run (update, delete, churn, read), one row each, as every view shows
 * them: what was asked, the counts (which add up to what was sent), and the latency that decides it.
 * Picks and words only; the figures are the RunResult's.
 */
export interface LifecycleRow {
  phase: string;
  /** "update 30% at 20/s", "churn 3 cycles × 30 at 20/s", "read at 10/s (9.99/s sent)" */
  load: string;
  sent: number;
  /** ready (update, churn), gone (delete), answered (read) */
  done: number;
  failed: number;
  timedOut: number;
  /** interrupted after it was sent, or never sent (Ctrl-C) */
  interrupted: number;
  /** what the latency measures */
  latencyLabel: string;
  latency: LatencySummary;
  /** the other latencies worth a line (requests, churn's deletes, read kinds) */
  also: Array<{ label: string; latency: LatencySummary }>;
  /** failures by reason, errors by status */
  notes: string[];
}

const DONE_LABEL: Record<PhaseLoad['verb'], string> = {
  update: 'patch answered → reconciled and ready',
  delete: 'DELETE answered → gone',
  churn: 'created again → ready',
};

function errorsNote(errors: Record<string, number>, retries: number): string[] {
  const list = Object.entries(errors).map(([status, n]) => `${status}: ${n}`);
  return list.length > 0 || retries > 0 ? [`errors ${list.join(', ') || 'none'} · retries ${retries}`] : [];
}

function objectRow(phase: string, load: PhaseLoad): LifecycleRow {
  const c = load.counts;
  const what =
    load.verb === 'churn'
      ? `churn ${load.cycles ?? 0} cycles, ${load.selected} objects, at ${load.requestedRate}/s`
      : `${load.verb} ${load.selected} objects at ${load.requestedRate}/s`;
  return {
    phase,
    load: what,
    sent: c.sent,
    done: c.ready,
    failed: c.failed,
    timedOut: c.timedOut,
    interrupted: c.interrupted + c.notStarted,
    latencyLabel: DONE_LABEL[load.verb],
    latency: load.latency.done,
    also: [
      ...(load.latency.gone ? [{ label: 'DELETE answered → gone', latency: load.latency.gone }] : []),
      { label: 'request', latency: load.latency.request },
    ],
    notes: [
      ...(load.deprovisioningSeen !== undefined ? [`deprovisioning seen on ${load.deprovisioningSeen}`] : []),
      ...(load.notCreatedAgain
        ? [
            `${load.notCreatedAgain} deleted and not created again before the interrupt: the run now lacks them`,
          ]
        : []),
      ...Object.entries(load.failureReasons).map(([reason, n]) => `${n} × ${reason}`),
      ...errorsNote(load.errors, load.retries),
    ],
  };
}

function readRow(phase: string, read: ReadLoad): LifecycleRow {
  const c = read.counts;
  const kinds = { list: 'LIST', cachedList: 'LIST rv=0', get: 'GET' } as const;
  return {
    phase,
    load: `read at ${read.requestedRate}/s (${read.achievedRate.toFixed(2)}/s sent, ${read.seconds.toFixed(1)}s)`,
    sent: c.sent,
    done: c.ok + c.notFound,
    failed: c.failed,
    timedOut: 0,
    interrupted: c.interrupted,
    latencyLabel: 'every read (a LIST: all its pages)',
    latency: read.latency,
    also: (Object.keys(kinds) as Array<keyof typeof kinds>)
      .filter((kind) => read.byKind[kind].sent > 0)
      .map((kind) => ({
        label: `${kinds[kind]} (${read.byKind[kind].sent})`,
        latency: read.byKind[kind].latency,
      })),
    notes: [
      `${read.pages} pages, ${read.itemsListed} items listed${c.notFound > 0 ? ` · ${c.notFound} GETs found the object gone (churned or deleted)` : ''}`,
      ...errorsNote(read.errors, read.retries),
    ],
  };
}

/** The row of one phase's measurement (the perf run's phases, or one `vitictl update|delete|churn|read`). */
export function lifecycleRow(
  phase: string,
  measured: { load: PhaseLoad } | { read: ReadLoad },
): LifecycleRow {
  return 'load' in measured ? objectRow(phase, measured.load) : readRow(phase, measured.read);
}

export function lifecycleRows(result: RunResult): LifecycleRow[] {
  return result.phases.flatMap((entry) =>
    entry.load
      ? [lifecycleRow(entry.name, { load: entry.load })]
      : entry.read
        ? [lifecycleRow(entry.name, { read: entry.read })]
        : [],
  );
}
