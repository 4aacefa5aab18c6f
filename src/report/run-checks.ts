import { decodeHistogram, type LatencySummary } from './histogram.js';
import type { ObjectCounts, RunResult } from './run-result.js';

/** What is wrong with a RunResult that passed its schema, at a JSON path ($.apply.counts.ready). */
export interface RunProblem {
  path: string;
  message: string;
}

const STATES = ['ready', 'failed', 'timedOut', 'notWaited', 'interrupted', 'notStarted'] as const;
const COUNT_KEYS = ['total', ...STATES, 'created'] as const;
const ORDERED = ['p50', 'p90', 'p95', 'p99', 'p999', 'p9999', 'max'] as const;

function countsProblem(counts: ObjectCounts, path: string): RunProblem | undefined {
  for (const key of COUNT_KEYS) {
    if (counts[key] < 0)
      return { path: `${path}.${key}`, message: `a count cannot be negative (${counts[key]})` };
  }
  const sum = STATES.reduce((total, state) => total + counts[state], 0);
  if (sum !== counts.total) {
    return {
      path,
      message: `the objects' states add up to ${sum}, not to the total ${counts.total}`,
    };
  }
  if (counts.created > counts.total) {
    return { path: `${path}.created`, message: `${counts.created} created of ${counts.total} objects` };
  }
  return undefined;
}

function histogramProblem(summary: LatencySummary, path: string): RunProblem | undefined {
  if (summary.count < 0)
    return { path: `${path}.count`, message: `a count cannot be negative (${summary.count})` };
  let decoded: ReturnType<typeof decodeHistogram>;
  try {
    decoded = decodeHistogram(summary);
  } catch (error) {
    return { path: `${path}.encoded`, message: (error as Error).message };
  }
  if (decoded.totalCount !== summary.count) {
    return {
      path: `${path}.count`,
      message: `${summary.count}, but the histogram holds ${decoded.totalCount}`,
    };
  }
  if (summary.count === 0) return undefined;
  let previous = summary.min;
  let previousKey = 'min';
  for (const key of ORDERED) {
    const value = summary[key];
    if (!(value >= previous)) {
      return { path: `${path}.${key}`, message: `${key} ${value} is below ${previousKey} ${previous}` };
    }
    previous = value;
    previousKey = key;
  }
  return undefined;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time that names a real day (Date.parse takes 2026-02-30 for March 2). */
function timeOf(value: string): number | undefined {
  const match = ISO_TIME.exec(value);
  const ms = Date.parse(value);
  if (!match || Number.isNaN(ms)) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? ms : undefined;
}

/** A start and an end that are times, in order (`path` names the object holding them). */
function spanProblem(
  span: { start: string; end: string },
  path: string,
  [startKey, endKey]: [string, string] = ['start', 'end'],
): RunProblem | undefined {
  const start = timeOf(span.start);
  if (start === undefined)
    return { path: `${path}.${startKey}`, message: `${JSON.stringify(span.start)} is not a time` };
  const end = timeOf(span.end);
  if (end === undefined)
    return { path: `${path}.${endKey}`, message: `${JSON.stringify(span.end)} is not a time` };
  if (end < start)
    return { path: `${path}.${endKey}`, message: `${span.end} is before ${startKey} ${span.start}` };
  return undefined;
}

/** The run's times are times, in order: a negative duration becomes a negative junit time and window. */
function timesProblem(run: RunResult): RunProblem | undefined {
  const whole = spanProblem({ start: run.startedAt, end: run.endedAt }, '$', ['startedAt', 'endedAt']);
  if (whole) return whole;
  for (const [index, phase] of run.phases.entries()) {
    const found = spanProblem(phase, `$.phases[${index}]`);
    if (found) return found;
  }
  // the creation window is only checked for times: a run stopped before its first create wrote an
  // end before its start, and such files must stay readable
  for (const key of ['start', 'end'] as const) {
    const value = run.apply?.creation[key];
    if (value !== undefined && timeOf(value) === undefined)
      return { path: `$.apply.creation.${key}`, message: `${JSON.stringify(value)} is not a time` };
  }
  return undefined;
}

/**
 * The invariants every reader relies on: the times are in order, the counts add up, none is negative,
 * the histograms decode and hold what their summaries say, percentiles are ordered. The schema checks
 * only the shape.
 */
export function runResultProblem(run: RunResult): RunProblem | undefined {
  const times = timesProblem(run);
  if (times) return times;
  const apply = run.apply;
  if (!apply) return undefined;
  const problem = countsProblem(apply.counts, '$.apply.counts');
  if (problem) return problem;
  const summed: Record<string, number> = {};
  for (const [index, set] of apply.sets.entries()) {
    const at = `$.apply.sets[${index}]`;
    const found =
      countsProblem(set.counts, `${at}.counts`) ??
      histogramProblem(set.latency.create, `${at}.latency.create`) ??
      histogramProblem(set.latency.timeToReady, `${at}.latency.timeToReady`) ??
      histogramProblem(set.latency.serverTimeToReady, `${at}.latency.serverTimeToReady`);
    if (found) return found;
    for (const key of COUNT_KEYS) summed[key] = (summed[key] ?? 0) + set.counts[key];
  }
  if (apply.sets.length > 0) {
    const key = COUNT_KEYS.find((name) => summed[name] !== apply.counts[name]);
    if (key) {
      return {
        path: `$.apply.counts.${key}`,
        message: `${apply.counts[key]}, but the sets' ${key} add up to ${summed[key]}`,
      };
    }
  }
  for (const [name, summary] of Object.entries(apply.latency)) {
    const found = histogramProblem(summary, `$.apply.latency.${name}`);
    if (found) return found;
  }
  return apply.pacing ? histogramProblem(apply.pacing.lateness, '$.apply.pacing.lateness') : undefined;
}
