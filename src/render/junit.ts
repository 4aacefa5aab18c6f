import type { RunResult } from '../report/run-result.js';
import { escapeControl } from '../util/escape-control.js';

/** XML 1.0 allows no control characters but tab, newline and return, not even as references. */
const xml = (text: string) =>
  escapeControl(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

/** JUnit XML: one test case per gate, so CI systems show each gate as a test. Pure. */
export function renderJunit(result: RunResult): string {
  const gates = result.gates ?? [];
  const failures = gates.filter((g) => !g.passed).length;
  const seconds = (Date.parse(result.endedAt) - Date.parse(result.startedAt)) / 1000 || 0;
  const suite = xml(`vitictl ${result.profile?.name ?? 'run'} ${result.scenario.name}`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${gates.length}" failures="${failures}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${suite}" tests="${gates.length}" failures="${failures}" time="${seconds.toFixed(3)}" timestamp="${xml(result.startedAt)}">`,
    `    <properties><property name="runId" value="${xml(result.runId)}"/><property name="server" value="${xml(result.target.server)}"/></properties>`,
  ];
  for (const gate of gates) {
    lines.push(`    <testcase classname="${suite}" name="${xml(gate.gate)}">`);
    if (!gate.passed)
      lines.push(`      <failure message="${xml(gate.message)}" type="gate">${xml(gate.message)}</failure>`);
    else lines.push(`      <system-out>${xml(gate.message)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
