import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/run-result.js';
import type { PhaseLoad } from '../../src/report/sections/phase-load.js';
import type { ReadLoad } from '../../src/report/sections/read-load.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { eventually, kubectl, lab } from '../helpers/lab.js';

const env = () => ({ NO_COLOR: '1', VITICTL_LAB_DIR: lab().dir });

function profile(name: string, phases: string, gates: string[] = []): string {
  return `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: ${name}}
spec:
  scenario: machines
  count: 40
  load: {qps: 40}
  timeout: 1m
  observe: {metrics: none}
  tune: false
  phases:
${phases}
  gates: [${gates.join(', ')}]
`;
}

const OBSERVED = ".metadata.annotations['lab.vitictl.io/observed-generation']";

function phase(run: RunResult, name: string) {
  const found = run.phases.find((entry) => entry.name === name);
  if (!found) throw new Error(`no phase ${name} in ${run.phases.map((entry) => entry.name).join(', ')}`);
  return found;
}

function expectObjectCounts(load: PhaseLoad) {
  const c = load.counts;
  expect(c.ready + c.failed + c.timedOut + c.interrupted).toBe(c.sent);
  expect(c.sent + c.notStarted).toBe(load.selected);
}

function expectReadCounts(read: ReadLoad) {
  const c = read.counts;
  expect(c.ok + c.notFound + c.failed + c.interrupted).toBe(c.sent);
  expect(read.byKind.list.sent + read.byKind.cachedList.sent + read.byKind.get.sent).toBe(c.sent);
}

async function machinesOf(runId: string): Promise<number> {
  const listed = await kubectl(['get', 'machines', '-A', '-l', `vitictl.io/run-id=${runId}`, '-o', 'name']);
  return String(listed.stdout).split('\n').filter(Boolean).length;
}

describe('perf run phases on the lab', () => {
  const temp = useTempDir();

  it('create → update → churn with webhook and read alongside → delete: every phase accounts for its objects and nothing is left', async () => {
    const file = await temp.write(
      'lifecycle.yaml',
      profile(
        'it-lifecycle',
        `    - type: create
    - {type: read, name: read-create, with: create, qps: 20, pageSize: 7}
    - {type: update, share: 50%, qps: 40, patch: {spec: {memory: 4096}}, observedGeneration: "${OBSERVED}"}
    - {type: churn, share: 25%, qps: 40, period: 1s, cycles: 2}
    - {type: webhook, with: churn, configuration: vitictl-lab-operator, rate: 20, duration: 2s, warmup: 200ms}
    - {type: read, with: churn, qps: 20, mix: {list: 1, cachedList: 1, get: 2}}
    - {type: delete, qps: 40}`,
        [
          'update.failedRate == 0',
          'churn.failedRate == 0',
          'delete.failedRate == 0',
          'read.errorRate == 0',
          'webhook.p99 < 5s',
        ],
      ),
    );
    const out = temp.path('lifecycle');
    const result = await vitictl(
      [
        'perf',
        'run',
        file,
        '--lab',
        '--run-id',
        'it-perf-lc',
        '--out-dir',
        out,
        '--no-apiserver-metrics',
        '-q',
      ],
      { env: env() },
    );
    expect(result.exitCode, String(result.stdout) + String(result.stderr)).toBe(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunResult;
    expect(run.apply!.counts.ready).toBe(40);

    const update = phase(run, 'update').load!;
    expectObjectCounts(update);
    expect(update).toMatchObject({ verb: 'update', selected: 20, counts: { ready: 20 } });
    expect(update.latency.done.count).toBe(20);

    // two cycles of a quarter: 10 objects each, deleted, gone, created again and ready
    const churn = phase(run, 'churn').load!;
    expectObjectCounts(churn);
    expect(churn).toMatchObject({ verb: 'churn', cycles: 2, selected: 20, counts: { ready: 20 } });
    expect(churn.latency.gone!.count).toBe(20);
    expect(churn.latency.done.count).toBe(20);

    // what churn created again is the run's: the delete finds all 40 and they are gone
    const del = phase(run, 'delete').load!;
    expectObjectCounts(del);
    expect(del).toMatchObject({ verb: 'delete', selected: 40, counts: { ready: 40 } });
    expect(await machinesOf('it-perf-lc')).toBe(0);

    // the read beside the creates ended with them; the one beside churn, with churn
    const readCreate = phase(run, 'read-create');
    const apply = phase(run, 'apply');
    expectReadCounts(readCreate.read!);
    expect(readCreate.read!.counts.failed).toBe(0);
    expect(Date.parse(readCreate.end)).toBeLessThan(Date.parse(apply.end) + 1000);
    const readChurn = phase(run, 'read');
    expectReadCounts(readChurn.read!);
    expect(readChurn.read!.byKind.get.sent).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(readChurn.end) - Date.parse(phase(run, 'churn').end))).toBeLessThan(1000);
    // a paginated LIST of 40 objects at 7 a page takes 6 pages
    expect(readCreate.read!.pages).toBeGreaterThanOrEqual(readCreate.read!.byKind.list.ok);

    expect(run.webhook!.requests.sent).toBe(40);
    expect(run.gates!.map((gate) => [gate.metric, gate.passed])).toEqual([
      ['update.failedRate', true],
      ['churn.failedRate', true],
      ['delete.failedRate', true],
      ['read.errorRate', true],
      ['webhook.p99', true],
    ]);
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toContain('**Lifecycle**');
    expect(markdown).toMatch(
      /\| churn \| churn 2 cycles, 20 objects, at 40\/s \| 20 \| 20 \| 0 \| 0 \| 0 \|/,
    );
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="lifecycle"');
  });

  it('SIGTERM during churn: exit 143, the churn accounted for as far as it went, and every object of the run deleted', async () => {
    const file = await temp.write(
      'endless.yaml',
      profile(
        'it-endless',
        `    - type: create
    - {type: churn, share: 50%, qps: 20, period: 500ms, duration: 10m}
    - {type: delete, qps: 40}`,
      ),
    );
    const out = temp.path('endless');
    const child = vitictl(
      ['perf', 'run', file, '--lab', '--run-id', 'it-perf-term', '--out-dir', out, '--no-apiserver-metrics'],
      {
        env: env(),
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await eventually(
      async () => (stderr.includes('phase: churn') ? true : undefined),
      60_000,
      'the churn phase',
    );
    // some churn under way: a cycle deletes 20 of them
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGTERM');
    const ended = await child;
    expect(ended.exitCode, stderr).toBe(143);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunResult;
    expect(run.interrupted).toBe(true);
    const churn = phase(run, 'churn').load!;
    expectObjectCounts(churn);
    expect(churn.counts.sent).toBeGreaterThan(0);
    // the delete phase after it never started
    expect(run.phases.some((entry) => entry.name === 'delete')).toBe(false);
    expect(run.cleanup).toMatchObject({ failed: 0, leftBehind: [] });
    expect(await machinesOf('it-perf-term')).toBe(0);
  });
});
