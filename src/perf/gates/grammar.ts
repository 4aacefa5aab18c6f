import { inputError, type SourceLocation } from '../../errors.js';
import { knownMetricNames, type MetricUnit, metricNamed } from '../../report/metrics.js';
import { parseDuration } from '../../util/duration.js';

/**
 * The gate grammar, k6-style: `ready.p99 < 30s`, `ready.failedRate < 1%`,
 * `achievedRate >= 0.95 * requestedRate`. Metric names come from the registry; a threshold is read
 * in its metric's unit (durations in ms).
 */

export const GATE_OPS = ['<=', '>=', '==', '!=', '<', '>'] as const;
export type GateOp = (typeof GATE_OPS)[number];

export interface Gate {
  text: string;
  metric: string;
  op: GateOp;
  /** a constant in the metric's unit, or factor × another metric */
  right: { value: number } | { factor: number; metric: string };
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const UNIT_SUFFIX: Partial<Record<MetricUnit, RegExp>> = { '%': /%$/, '/s': /\/s$/, '/min': /\/min$/ };

type Fail = (message: string, hint?: string) => never;

function parseThreshold(text: string, unit: MetricUnit, fail: Fail): number {
  if (unit === 'ms') {
    const ms = parseDuration(text) ?? (NUMBER.test(text) ? Number(text) : undefined);
    if (ms === undefined) fail(`"${text}" is not a duration`, 'e.g. 250ms, 30s, 2m (a bare number is ms)');
    return ms;
  }
  if (text.endsWith('%') && unit !== '%') fail('this metric is not a percentage');
  const bare = text.replace(UNIT_SUFFIX[unit] ?? /$^/, '').trim();
  if (!NUMBER.test(bare)) {
    fail(
      `"${text}" is not a number${unit === '' ? '' : ` in ${unit}`}`,
      'e.g. ready.failedRate < 1%, achievedRate >= 50/s',
    );
  }
  return Number(bare);
}

/**
 * Parse `metric op threshold` (or `metric op factor * metric`). Every problem is bad input naming
 * `location` (the gate's place in a profile or gates file), found before any load runs.
 */
export function parseGate(text: string, location?: SourceLocation): Gate {
  const fail: Fail = (message, hint) => {
    throw inputError(`gate "${text}": ${message}`, {
      ...(location ? { location } : {}),
      ...(hint ? { hint } : {}),
    });
  };
  const unknown = (name: string) =>
    fail(`unknown metric "${name}"`, `known: ${knownMetricNames().join(', ')}`);
  const op =
    GATE_OPS.find((candidate) => text.includes(` ${candidate} `)) ??
    GATE_OPS.find((candidate) => text.includes(candidate));
  if (!op) return fail('no comparison (<, <=, >, >=, ==, !=)', 'e.g. ready.p99 < 30s');
  const left = text.slice(0, text.indexOf(op)).trim();
  const right = text.slice(text.indexOf(op) + op.length).trim();
  const metric = metricNamed(left) ?? unknown(left);
  if (right === '') return fail(`no threshold after "${op}"`, `e.g. ${left} ${op} 30s`);
  const product = /^(\S+)\s*\*\s*([A-Za-z][\w.]*)$/.exec(right);
  if (product) {
    const [, factor = '', other = ''] = product;
    if (!NUMBER.test(factor))
      fail(`"${factor}" is not a number`, 'e.g. achievedRate >= 0.95 * requestedRate');
    if (!metricNamed(other)) unknown(other);
    return { text, metric: left, op, right: { factor: Number(factor), metric: other } };
  }
  return { text, metric: left, op, right: { value: parseThreshold(right, metric.unit, fail) } };
}
