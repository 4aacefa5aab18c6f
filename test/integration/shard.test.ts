import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { TimelineRow } from '../../src/load/apply-engine.js';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { kubectl, lab } from '../helpers/lab.js';

const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
const timeline = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TimelineRow);

/** nearest-rank percentile of exact values, the definition HDR histograms answer to within 0.1% */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('sharded runs against the lab', () => {
  const temp = useTempDir();

  it('three local shards, merged, account for the same objects as one whole run, percentiles within histogram precision', async () => {
    await temp.write('.keep', '');
    const out = (name: string) => temp.path(name);
    const common = ['apply', 'machines', '--count', '240', '--qps', '120', '-q'];
    const whole = await vitictl(
      [...common, '--run-id', 'it-whole', '--out', out('whole.json'), '--timeline', out('whole.ndjson')],
      {
        env: env(),
      },
    );
    expect(whole.exitCode, String(whole.stderr)).toBe(0);
    const shards = await Promise.all(
      [0, 1, 2].map((i) =>
        vitictl(
          [
            ...common,
            '--run-id',
            'it-shards',
            '--shard',
            `${i}/3`,
            '--out',
            out(`s${i}.json`),
            '--timeline',
            out(`s${i}.ndjson`),
          ],
          { env: env() },
        ),
      ),
    );
    for (const shard of shards) expect(shard.exitCode, String(shard.stderr)).toBe(0);
    const merge = await vitictl([
      'report',
      'merge',
      out('s0.json'),
      out('s1.json'),
      out('s2.json'),
      '-o',
      'json',
    ]);
    expect(merge.exitCode, String(merge.stderr)).toBe(0);
    const merged = JSON.parse(String(merge.stdout)) as RunResult;
    const one = read(out('whole.json'));

    // the same accounting, object for object
    expect(merged.apply!.counts).toEqual(one.apply!.counts);
    expect(merged.apply!.counts).toMatchObject({ total: 240, ready: 240, created: 240 });
    expect(merged.apply!.sets.map((s) => [s.set, s.counts])).toEqual(
      one.apply!.sets.map((s) => [s.set, s.counts]),
    );
    expect(merged.scenario.objects).toBe(one.scenario.objects);
    expect(merged.cleanup!.deleted).toBe(one.cleanup!.deleted);
    const names = (rows: TimelineRow[], runId: string) =>
      rows.map((row) => `${row.namespace?.replace(runId, 'RUN')}/${row.name.replace(runId, 'RUN')}`).sort();
    const shardRows = [0, 1, 2].flatMap((i) => timeline(out(`s${i}.ndjson`)));
    expect(names(shardRows, 'it-shards')).toEqual(names(timeline(out('whole.ndjson')), 'it-whole'));
    // each shard ran its own share of the rate; together the whole rate
    expect(
      [0, 1, 2].map((i) => read(out(`s${i}.json`)).apply!.requestedRate!).reduce((a, b) => a + b),
    ).toBeCloseTo(120, 6);
    expect(merged.apply!.requestedRate).toBeCloseTo(120, 6);

    // merged percentiles = percentiles of every shard's per-object timings taken together
    const readyMs = shardRows.map((row) => row.ready! - row.sent!);
    for (const p of [50, 90, 99] as const) {
      const exact = percentile(readyMs, p);
      const got = merged.apply!.latency.timeToReady[`p${p}`];
      expect(Math.abs(got - exact), `p${p}: merged ${got} vs exact ${exact}`).toBeLessThanOrEqual(
        exact * 0.001 + 0.01,
      );
    }
    expect(merged.apply!.latency.timeToReady.count).toBe(240);
    for (const runId of ['it-whole', 'it-shards']) {
      const left = await kubectl(['get', 'machines', '-A', '-l', `vitictl.io/run-id=${runId}`, '-o', 'name']);
      expect(String(left.stdout).trim()).toBe('');
    }
  });

  it('refuses to merge a shard set with one missing, naming it (exit 2)', async () => {
    await temp.write('.keep', '');
    const file = temp.path('s0.json');
    const shard = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '30',
        '--no-wait',
        '--run-id',
        'it-miss',
        '--shard',
        '0/2',
        '--out',
        file,
        '-q',
      ],
      { env: env() },
    );
    expect(shard.exitCode, String(shard.stderr)).toBe(0);
    const merge = await vitictl(['report', 'merge', file]);
    expect(merge.exitCode).toBe(2);
    expect(errorLines(merge.stderr)).toEqual(['error: missing shard 1 of 2 (run it-miss)']);
    const noRunId = await vitictl(['apply', 'machines', '--shard', '1/2'], { env: env() });
    expect(noRunId.exitCode).toBe(2);
    expect(errorLines(noRunId.stderr)).toEqual([
      'error: --shard needs --run-id: the shards of one run share its run id',
    ]);
  });

  it("perf job's manifests pass server-side dry run, and its pods' command, run as its ServiceAccount, stores results perf collect merges", async () => {
    const ns = 'it-perf-job';
    await kubectl(['create', 'namespace', ns]);
    await temp.write('.keep', '');
    const dir = temp.dir();
    // a profile file with its own scenario file: both travel to the pods in a ConfigMap
    await writeFile(
      join(dir, 'my-scenario.yaml'),
      readFileSync(join(import.meta.dirname, '../../scenarios/machines.yaml'), 'utf8').replace(
        /count: 10\n/,
        'count: 6\n',
      ),
    );
    await writeFile(
      join(dir, 'profile.yaml'),
      `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: sharded}
spec:
  type: load
  scenario: ./my-scenario.yaml
  count: 90
  load: {qps: 45}
  observe: {metrics: none}
  tune: false
  gates: ["objects.ready >= 90", "ready.p99 < 2m"]
`,
    );
    const jobFile = join(dir, 'job.yaml');
    const emitted = await vitictl(
      [
        'perf',
        'job',
        join(dir, 'profile.yaml'),
        '--shards',
        '3',
        '--run-id',
        'it-job',
        '--name',
        'it-job',
        '--image',
        'vitictl:test',
        '-n',
        ns,
        '--out',
        jobFile,
      ],
      { env: env() },
    );
    expect(emitted.exitCode, String(emitted.stderr)).toBe(0);
    const dry = await kubectl(['apply', '--dry-run=server', '-f', jobFile]);
    expect(dry.exitCode, String(dry.stderr)).toBe(0);
    expect(String(dry.stdout)).toMatch(/job\.batch\/it-job created \(server dry run\)/);

    const manifests = parseAllDocuments(readFileSync(jobFile, 'utf8')).map((doc) => doc.toJS());
    const job = manifests.find((m) => m.kind === 'Job');
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    const role = manifests.find((m) => m.kind === 'ClusterRole');
    expect(role.rules).toEqual([
      {
        apiGroups: ['vitistack.io'],
        resources: ['machines'],
        verbs: ['create', 'get', 'list', 'watch', 'delete'],
      },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'get', 'delete'] },
    ]);
    const applied = await kubectl(['apply', '-f', jobFile]);
    expect(applied.exitCode, String(applied.stderr)).toBe(0);
    try {
      // least privilege: what the shards need, and nothing beside it
      const sa = `system:serviceaccount:${ns}:it-job`;
      const can = async (...args: string[]) =>
        String((await kubectl(['auth', 'can-i', ...args, '--as', sa])).stdout).trim();
      expect(await can('create', 'machines.vitistack.io', '-n', 'anywhere')).toBe('yes');
      expect(await can('delete', 'pods', '-n', ns)).toBe('no');
      expect(await can('create', 'vitistacks.vitistack.io', '-n', 'anywhere')).toBe('no');
      expect(await can('update', 'configmaps/it-job-2', '-n', ns)).toBe('yes');
      expect(await can('update', 'configmaps/other', '-n', ns)).toBe('no');

      // the pods' command, run here as the ServiceAccount (the lab has no kubelet to run the Job)
      const token = String((await kubectl(['create', 'token', 'it-job', '-n', ns])).stdout).trim();
      const kubeconfig = readFileSync(lab().kubeconfig, 'utf8')
        .replace(
          /users:[\s\S]*?contexts:/,
          `users:\n- name: it-job\n  user:\n    token: "${token}"\ncontexts:`,
        )
        .replace(/user: vitictl-admin/, 'user: it-job');
      const saConfig = join(dir, 'sa.kubeconfig');
      await writeFile(saConfig, kubeconfig);
      const profileMap = manifests.find(
        (m) => m.kind === 'ConfigMap' && m.metadata.name === 'it-job-profile',
      );
      const mounted = join(dir, 'etc-vitictl');
      await mkdir(mounted);
      for (const [name, text] of Object.entries(profileMap.data as Record<string, string>))
        await writeFile(join(mounted, name), text);
      const container = job.spec.template.spec.containers[0];
      const runs = await Promise.all(
        [0, 1, 2].map(async (index) => {
          const args = (container.args as string[]).map((arg) =>
            arg
              .replace('$(JOB_COMPLETION_INDEX)', String(index))
              .replace('/etc/vitictl', mounted)
              .replace(/^\/tmp\/report$/, join(dir, `report-${index}`)),
          );
          return vitictl(args, { env: { NO_COLOR: '1', KUBECONFIG: saConfig } });
        }),
      );
      for (const run of runs) expect(run.exitCode, String(run.stderr)).toBe(0);
      const collect = await vitictl(
        ['perf', 'collect', 'it-job', '-n', ns, '--out-dir', join(dir, 'merged'), '-o', 'json'],
        { env: env() },
      );
      expect(collect.exitCode, String(collect.stderr)).toBe(0);
      const merged = JSON.parse(String(collect.stdout)) as RunResult;
      expect(merged.apply!.counts).toMatchObject({ total: 90, ready: 90, created: 90 });
      expect(merged.mergedFrom!.map((m) => m.file)).toEqual(
        [0, 1, 2].map((i) => `configmap ${ns}/it-job-${i}`),
      );
      // each shard alone failed "objects.ready >= 90"; judged on the whole, it passes
      expect(
        runs.map((run) => read(join(dir, `report-${runs.indexOf(run)}`, 'run.json')).gates![0]!.passed),
      ).toEqual([false, false, false]);
      expect(merged.gates!.map((gate) => [gate.gate, gate.passed])).toEqual([
        ['objects.ready >= 90', true],
        ['ready.p99 < 2m', true],
      ]);
      expect(readFileSync(join(dir, 'merged', 'report.md'), 'utf8')).toMatch(/objects\.ready >= 90/);
    } finally {
      await kubectl(['delete', '-f', jobFile, '--wait=false']);
      await kubectl(['delete', 'configmap', '-n', ns, '-l', 'vitictl.io/result-of=it-job']);
    }
  });
});
