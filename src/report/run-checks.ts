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

/** The run's times are times, in order: a negative duration becomes a negative junit time and window. */
function timesProblem(run: RunResult): RunProblem | undefined {
  const started = Date.parse(run.startedAt);
  const ended = Date.parse(run.endedAt);
  if (Number.isNaN(started))
    return { path: '$.startedAt', message: `${JSON.stringify(run.startedAt)} is not a time` };
  if (Number.isNaN(ended))
    return { path: '$.endedAt', message: `${JSON.stringify(run.endedAt)} is not a time` };
  if (ended < started)
    return { path: '$.endedAt', message: `${run.endedAt} is before startedAt ${run.startedAt}` };
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
