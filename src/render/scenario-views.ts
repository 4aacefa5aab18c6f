import type { BuiltinScenario } from '../config/load-scenario.js';
import type { ScenarioValidation } from '../scenario/validate-scenario.js';
import type { Style } from './style.js';
import { borderlessTable as table, trimLines } from './table.js';

export function renderScenarioList(scenarios: BuiltinScenario[], style: Style): string {
  const out = table(['NAME', 'OBJECTS', 'KINDS', 'DESCRIPTION'], style);
  for (const scenario of scenarios) {
    out.push([scenario.name, String(scenario.objects), scenario.kinds.join(', '), scenario.description]);
  }
  return `${trimLines(out.toString())}\n`;
}

export function renderValidation(result: ScenarioValidation, style: Style): string {
  const lines: string[] = [];
  const sets = table(['SET', 'KIND', 'SCOPE', 'OBJECTS', 'ERRORS', 'WARNINGS', 'SCHEMA'], style);
  for (const set of result.sets) {
    sets.push([
      set.set,
      set.kind,
      set.scope,
      String(set.count),
      set.errors > 0 ? style.red(String(set.errors)) : '0',
      set.warnings > 0 ? style.yellow(String(set.warnings)) : '0',
      set.schema,
    ]);
  }
  lines.push(trimLines(sets.toString()));
  for (const violation of result.violations) {
    const where = violation.namespace ? `${violation.namespace}/${violation.name}` : violation.name;
    const label = violation.severity === 'error' ? style.red('error') : style.yellow('warning');
    lines.push(
      `${label}: object ${violation.objectIndex} (${violation.set} ${where}): ${violation.path ? `${violation.path}: ` : ''}${violation.message}`,
    );
  }
  if (result.truncated)
    lines.push(
      style.dim(`… more violations not shown (-o json lists the first ${result.violations.length})`),
    );
  const verdict =
    result.errors === 0
      ? style.green(`valid: ${result.objects} objects`)
      : style.red(`invalid: ${result.errors} error(s) in ${result.objects} objects`);
  lines.push(`${verdict}${result.warnings > 0 ? `, ${result.warnings} warning(s)` : ''}`);
  return `${lines.join('\n')}\n`;
}
