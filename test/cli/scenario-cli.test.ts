import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { listBuiltinScenarios } from '../../src/config/load-scenario.js';
import { runCli } from '../helpers/cli.js';
import { widgetCrd } from '../helpers/crd.js';
import { useTempDir } from '../helpers/files.js';

describe('vitictl scenario (in-process)', () => {
  const temp = useTempDir();

  it('prints 1000 Machine documents with unique names, byte-identical for the same seed', async () => {
    const first = await runCli([
      'scenario',
      'generate',
      'scenarios/machines.yaml',
      '--count',
      '1000',
      '--seed',
      '5',
    ]);
    const second = await runCli([
      'scenario',
      'generate',
      'scenarios/machines.yaml',
      '--count',
      '1000',
      '--seed',
      '5',
    ]);
    const third = await runCli([
      'scenario',
      'generate',
      'scenarios/machines.yaml',
      '--count',
      '1000',
      '--seed',
      '6',
    ]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    expect(third.stdout).not.toBe(first.stdout);
    const docs = parseAllDocuments(String(first.stdout)).map(
      (doc) => doc.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
    );
    const machines = docs.filter((doc) => doc.kind === 'Machine');
    expect(machines).toHaveLength(1000);
    expect(new Set(machines.map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).size).toBe(1000);
    expect(docs.filter((doc) => doc.kind === 'Namespace')).toHaveLength(10);
  });

  it('writes JSON as a kind: List that parses', async () => {
    const result = await runCli(['scenario', 'generate', 'vitistacks', '--count', '4', '-o', 'json']);
    const list = JSON.parse(String(result.stdout)) as {
      kind: string;
      items: Array<{ kind: string; metadata: { namespace?: string } }>;
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((item) => item.kind)).toEqual(['Vitistack', 'Vitistack', 'Vitistack', 'Vitistack']);
    expect(list.items.every((item) => item.metadata.namespace === undefined)).toBe(true);
  });

  it('validates every built-in scenario against the real VitiStack CRDs', async () => {
    const names = (await listBuiltinScenarios()).map((scenario) => scenario.name);
    expect(names).toHaveLength(9);
    for (const name of names) {
      const result = await runCli(['scenario', 'validate', name]);
      expect(result.exitCode, String(result.stdout) + String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toMatch(/^valid: \d+ objects$/m);
    }
  });

  it('generates valid objects from any CRD schema alone', async () => {
    const crd = await temp.write(
      'crd.yaml',
      widgetCrd(`type: object
required: [size, color, since]
properties:
  size: {type: integer, minimum: 1, maximum: 5}
  color: {type: string, enum: [red, blue]}
  since: {type: string, format: date-time}
  extra: {x-kubernetes-preserve-unknown-fields: true}`),
    );
    const generated = await runCli(['scenario', 'generate', '--crd', crd, '--count', '20', '-o', 'json']);
    expect(generated.exitCode).toBe(0);
    const items = (
      JSON.parse(String(generated.stdout)) as {
        items: Array<{ kind: string; spec?: { size: number; color: string } }>;
      }
    ).items;
    const widgets = items.filter((item) => item.kind === 'Widget');
    expect(widgets).toHaveLength(20);
    for (const widget of widgets) {
      expect(widget.spec?.size).toBeGreaterThanOrEqual(1);
      expect(widget.spec?.size).toBeLessThanOrEqual(5);
      expect(['red', 'blue']).toContain(widget.spec?.color);
    }
    const validated = await runCli(['scenario', 'validate', '--crd', crd, '--count', '20', '--fill', 'all']);
    expect(validated.exitCode).toBe(0);
  });

  it('reports schema violations with object index and JSON path, exit 2', async () => {
    const file = await temp.write(
      'bad.yaml',
      `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  objects:
    - name: machines
      apiVersion: vitistack.io/v1alpha1
      kind: Machine
      count: 3
      vars: {arch: {choice: [amd64, sparc]}}
      template:
        spec: {os: {architecture: "{{arch}}"}, disks: [{sizeGB: "ten"}]}
`,
    );
    const result = await runCli(['scenario', 'validate', file, '--seed', '1']);
    expect(result.exitCode).toBe(2);
    const out = String(result.stdout);
    expect(out).toMatch(
      /error: object 0 \(machines vitictl-bad-1-0\/machines-0\): \.spec\.disks\[0\]\.sizeGB: expected integer, got string "ten"/,
    );
    expect(out).toMatch(/\.spec\.os\.architecture: "sparc" is not one of "amd64", "arm64", "x86_64"/);
    expect(out).toMatch(/^invalid: \d+ error\(s\) in 3 objects$/m);
  });

  it.each([
    [
      'a negative --count',
      ['scenario', 'generate', 'machines', '--count', '-5'],
      /^error: --count must be at least 0 \(got -5\)$/,
    ],
    [
      'a missing file',
      ['scenario', 'generate', 'no-such.yaml'],
      /^error: scenario file not found: no-such\.yaml$/,
    ],
    [
      'an unsupported -o',
      ['scenario', 'generate', 'machines', '-o', 'table'],
      /^error: -o table is not supported by this command$/,
    ],
    [
      'an unknown option',
      ['scenario', 'generate', 'machines', '--cuont', '3'],
      /^error: unknown option '--cuont'/,
    ],
    ['help for an unknown command', ['help', 'scenaro'], /^error: unknown command 'scenaro'$/],
    ['help for an unknown subcommand', ['scenario', 'help', 'generat'], /^error: unknown command 'generat'$/],
  ])('rejects %s with one line, a hint and exit 2', async (_case, args, message) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(2);
    const lines = String(result.stderr).trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(/^hint: ./);
    expect(String(result.stderr)).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).toBe('');
  });

  it('points at file:line:column for a bad scenario, with a hint', async () => {
    const file = await temp.write(
      'typo.yaml',
      'apiVersion: vitictl.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  objects:\n    - name: m\n      apiVersion: v1\n      kind: ConfigMap\n      scope: Namespaced\n      count: 1\n      template: {data: {k: "{{nmae}}"}}\n',
    );
    const result = await runCli(['scenario', 'generate', file]);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(
      new RegExp(`^error: ${file}:11:28: undefined template variable "nmae"`),
    );
    expect(String(result.stderr)).toMatch(/^hint: /m);
  });

  it('leaves no output file behind when generation fails, and writes it whole when it succeeds', async () => {
    const bad = await temp.write(
      'bad.yaml',
      'apiVersion: vitictl.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  objects:\n    - name: m\n      apiVersion: v1\n      kind: ConfigMap\n      scope: Namespaced\n      count: 5\n      vars: {r: {ref: nothing}}\n      template: {}\n',
    );
    const out = temp.path('out.yaml');
    const failed = await runCli(['scenario', 'generate', bad, '--out', out]);
    expect(failed.exitCode).toBe(2);
    expect(existsSync(out)).toBe(false);
    const ok = await runCli(['scenario', 'generate', 'machines', '--count', '7', '--out', out]);
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8').match(/^kind: Machine$/gm)).toHaveLength(7);
    expect(readdirSync(temp.dir()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('has help with examples on every command and exits 0', async () => {
    for (const args of [
      ['--help'],
      ['scenario', '--help'],
      ['scenario', 'generate', '--help'],
      ['scenario', 'validate', '--help'],
      ['scenario', 'list', '--help'],
    ]) {
      const result = await runCli(args);
      expect(result.exitCode).toBe(0);
      expect(String(result.stdout)).toMatch(/Examples:\n {2}\$ vitictl /);
    }
    for (const args of [
      ['help', 'scenario', 'generate'],
      ['scenario', 'help', 'generate'],
    ]) {
      const result = await runCli(args);
      expect(result.exitCode).toBe(0);
      expect(String(result.stdout)).toMatch(/^Usage: vitictl scenario generate /);
    }
    const version = await runCli(['--version']);
    expect(String(version.stdout).trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
