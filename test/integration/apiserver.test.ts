import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { kubectl, lab } from '../helpers/lab.js';
import { userKubeconfig } from '../helpers/lab-users.js';

/** The API server and etcd as observed targets: the lab's real kube-apiserver and etcd. */

const readResult = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult;
const etcdUrl = () => `http://127.0.0.1:${lab().ports.etcd}/metrics`;
const warnings = (stderr: unknown) =>
  String(stderr)
    .split('\n')
    .filter((line) => line.startsWith('warning:'));

describe('the API server and etcd observed beside the load', () => {
  const temp = useTempDir();

  it('apply scrapes the API server by default: its mutating requests cover the creates', async () => {
    await temp.write('x', '');
    const out = join(temp.dir(), 'run.json');
    const result = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '200',
        '--qps',
        '50',
        '--run-id',
        'it-apiserver',
        '--out',
        out,
        '--etcd-metrics',
        etcdUrl(),
        '--metrics-interval',
        '1s',
      ],
      { env: { NO_COLOR: '1', KUBECONFIG: lab().kubeconfig } },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(warnings(result.stderr)).toEqual([]);
    const run = readResult(out);
    const a = run.apiserver!;
    expect(a.target).toBe(run.target.server);
    expect(a.failures).toBe(0);
    const posts = a.byVerbResource.find((r) => r.verb === 'POST' && r.resource === 'machines.vitistack.io');
    const created = run.apply!.counts.created;
    expect(created).toBe(200);
    expect(posts!.requests).toBeGreaterThanOrEqual(created);
    expect(a.mutatingRequests).toBeGreaterThanOrEqual(created);
    const mutating = a.sli.checks.find((c) => c.name === 'mutating')!;
    expect(mutating.requests).toBeGreaterThanOrEqual(created);
    expect(mutating.p99Ms).toBeGreaterThan(0);
    expect(a.sli.source).toBe('apiserver_request_sli_duration_seconds');
    expect(a.flowControl.rejected).toBe(0);
    expect(a.etcdTarget).toBe(etcdUrl());
    expect(a.etcd.commitP99Ms).toBeGreaterThan(0);
    expect(a.etcd.requestP99Ms).toBeGreaterThan(0);
    // one point per scrape interval over the load, the creates among the requests they count
    expect(a.series.length).toBeGreaterThanOrEqual(2);
    const counted = a.series.reduce(
      (sum, p, i) => sum + p.requestsPerSecond * (p.t - (a.series[i - 1]?.t ?? 0)),
      0,
    );
    expect(counted).toBeGreaterThanOrEqual(created);
    expect(run.methods['apiserver.sli']).toMatch(/apiserver_request_sli_duration_seconds/);
    expect(String(result.stdout)).toMatch(/^api server: \d+ requests \(\d+ mutating\) · mutating p99 /m);
  });

  it('perf run --lab scrapes the lab etcd by itself and gates on apiserver.rejected == 0', async () => {
    await temp.write('x', '');
    const out = join(temp.dir(), 'perf');
    const profile = await temp.write(
      'apiserver.yaml',
      `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: apiserver}
spec:
  type: custom
  scenario: machines
  count: 100
  load: {qps: 50}
  timeout: 2m
  observe: {metrics: none, interval: 1s}
  gates:
    - apiserver.rejected == 0
    - apiserver.mutating.p99 < 30s
    - etcd.commit.p99 < 10s
`,
    );
    const result = await vitictl(['perf', 'run', profile, '--lab', '--out-dir', out, '-q'], {
      env: { NO_COLOR: '1', VITICTL_LAB_DIR: lab().dir },
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const run = readResult(join(out, 'run.json'));
    expect(run.gates!.map((g) => [g.gate, g.passed])).toEqual([
      ['apiserver.rejected == 0', true],
      ['apiserver.mutating.p99 < 30s', true],
      ['etcd.commit.p99 < 10s', true],
    ]);
    expect(run.apiserver!.etcdTarget).toBe(etcdUrl());
    expect(run.apiserver!.mutatingRequests).toBeGreaterThanOrEqual(100);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\| API call SLI \| requests \| p99 \|/);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<section id="apiserver">');
  });

  it('a user without get on /metrics: one warning naming the rule, and the run goes on', async () => {
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'it-no-metrics' },
      rules: [
        { apiGroups: ['vitistack.io'], resources: ['machines'], verbs: ['*'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['*'] },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'it-no-metrics' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'it-no-metrics' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'it-no-metrics' }],
    };
    const applied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [role, binding] }),
    );
    expect(applied.exitCode, String(applied.stderr)).toBe(0);
    await temp.write('x', '');
    const kubeconfig = await userKubeconfig(lab(), 'it-no-metrics', temp.dir());
    const out = join(temp.dir(), 'denied.json');
    const result = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '10',
        '--qps',
        '20',
        '--kubeconfig',
        kubeconfig,
        '--run-id',
        'it-no-metrics',
        '--out',
        out,
        '--metrics-interval',
        '1s',
      ],
      { env: { NO_COLOR: '1' } },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(warnings(result.stderr)).toEqual([
      expect.stringMatching(
        /^warning: the API server refused \/metrics \(HTTP 403: .*\): no API server signals; add to the user's ClusterRole the rule nonResourceURLs \["\/metrics"\], verbs \["get"\]$/,
      ),
    ]);
    const run = readResult(out);
    expect(run.apply!.counts.ready).toBe(10);
    expect(run.apiserver).toBeUndefined();
  });
});
