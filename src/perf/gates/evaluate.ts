import { formatMetricValue, metricNamed } from '../../report/metrics.js';
import type { GateResult, RunResult } from '../../report/run-result.js';
import type { Gate, GateOp } from './grammar.js';

function compare(a: number, op: GateOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** A gate's verdict on a run; a metric the run did not measure fails, saying so. */
export function evaluateGate(gate: Gate, run: RunResult): GateResult {
  // parseGate accepted only registered names
  const metric = metricNamed(gate.metric)!;
  const value = metric.read(run);
  let threshold: number | null;
  if ('value' in gate.right) threshold = gate.right.value;
  else {
    const other = metricNamed(gate.right.metric)!.read(run);
    threshold = other === null ? null : gate.right.factor * other;
  }
  const base = { gate: gate.text, metric: gate.metric, op: gate.op, unit: metric.unit };
  if (value === null || threshold === null) {
    return {
      ...base,
      threshold: threshold ?? Number.NaN,
      value: null,
      passed: false,
      message: `${gate.metric} was not measured in this run`,
    };
  }
  const passed = compare(value, gate.op, threshold);
  const format = (v: number) => formatMetricValue(v, metric.unit);
  const verdict = passed
    ? `within ${gate.op} ${format(threshold)}`
    : `${format(Math.abs(value - threshold))} ${value > threshold ? 'over' : 'under'} ${format(threshold)}`;
  return { ...base, threshold, value, passed, message: `${gate.metric} = ${format(value)}, ${verdict}` };
}
