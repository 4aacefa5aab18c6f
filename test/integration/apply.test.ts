import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cleanupRun } from '../../src/kube/cleanup.js';
import { connect } from '../../src/kube/connect.js';
import { discoverKinds } from '../../src/kube/discovery.js';
import { KubeRest } from '../../src/kube/rest.js';
import { restartApiserver } from '../../src/lab/lab.js';
import { freePort } from '../../src/lab/ports.js';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { kubectl, lab } from '../helpers/lab.js';
import { userKubeconfig } from '../helpers/lab-users.js';

const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });

function readResult(file: string): RunResult {
  return JSON.parse(readFileSync(file, 'utf8')) as RunResult;
}

function expectCountsAddUp(result: RunResult) {
  const c = result.apply!.counts;
  expect(c.ready + c.failed + c.timedOut + c.notWaited + c.interrupted + c.notStarted).toBe(c.total);
  expect(c.total).toBe(result.scenario.objects);
  for (const set of result.apply!.sets) {
    const s = set.counts;
    expect(s.ready + s.failed + s.timedOut + s.notWaited + s.interrupted + s.notStarted).toBe(s.total);
  }
}

async function leftovers(runId: string): Promise<string> {
  const found = await kubectl([
    'get',
    'machines,machineclasses,machineproviders,kubernetesproviders,kubernetesclusters,networkconfigurations,networknamespaces,vitistacks',
    '-A',
    '-l',
    `vitictl.io/run-id=${runId}`,
    '-o',
    'name',
  ]);
  return String(found.stdout).trim();
}

describe('vitictl apply against the lab', () => {
  const temp = useTempDir();

  it('creates, times and cleans up a mixed scenario in dependency order', async () => {
    const out = await temp.write('placeholder', '');
    const file = out.replace(/placeholder$/, 'run.json');
    const result = await vitictl(
      [
        'apply',
        'mixed',
        '--count',
        '120',
        '--concurrency',
        '16',
        '--run-id',
        'it-mixed',
        '--out',
        file,
        '-q',
      ],
      { env: env() },
    );
    expect(result.exitCode, String(result.stderr) + String(result.stdout)).toBe(0);
    const run = readResult(file);
    expectCountsAddUp(run);
    expect(run.apply!.counts.ready).toBe(run.scenario.objects);
    expect(run.apply!.sets.map((s) => s.set)).toEqual([
      'classes',
      'providers',
      'kubernetesproviders',
      'vitistacks',
      'networknamespaces',
      'networkconfigurations',
      'machines',
      'clusters',
    ]);
    const machines = run.apply!.sets.find((s) => s.set === 'machines')!;
    expect(machines.latency.timeToReady.count).toBe(machines.counts.total);
    expect(machines.latency.timeToReady.p50).toBeGreaterThanOrEqual(20); // the test lab provisions for 20 ms
    expect(run.apply!.watch.gaps).toEqual([]);
    expect(run.cleanup!.leftBehind).toEqual([]);
    expect(run.cleanup!.deleted).toBe(run.scenario.objects);
    expect(await leftovers('it-mixed')).toBe('');
    expect(String(result.stdout)).toMatch(/^ok: \d+ objects, \d+ ready$/m);
  });

  it('paces an open loop at the requested rate, evenly', async () => {
    const file = (await temp.write('x', '')).replace(/x$/, 'rate.json');
    const result = await vitictl(
      ['apply', 'machines', '--count', '100', '--qps', '40', '--no-wait', '--out', file, '-q'],
      { env: env() },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const apply = readResult(file).apply!;
    // the default burst (rate/10) absorbs a busy machine's stalls of up to 100 ms: the even share is
    // 4 per 100 ms, and catching up never puts more than twice that (+1) into one window
    expect(apply.burst).toBe(4);
    // without a slip the schedule is never more than `burst` starts behind, so the 99 intervals take
    // at most 99 + 4 of them; a longer stall (a shared CI host) slips it, and the result says so
    if (apply.scheduleSlips === 0) expect(apply.achievedRate).toBeGreaterThanOrEqual((40 * 99) / 103);
    else expect(apply.achievedRate).toBeGreaterThan(40 * 0.8);
    expect(apply.achievedRate).toBeLessThan(40 * 1.02);
    expect(apply.maxStartsIn100ms).toBeLessThanOrEqual(9);
    expect(apply.counts.notWaited).toBe(100);
    // the connections 40 creates/s keep busy at 50 ms each, opened before the first start
    expect(apply.warmConnections).toBe(2);
    // every start's lateness, and on Linux the thread's run-queue wait beside it
    const pacing = apply.pacing!;
    expect(pacing.lateness.count).toBe(100);
    expect(pacing.lateness.max).toBeGreaterThanOrEqual(pacing.lateness.p99);
    expect(pacing.lateStretchMs).toBeLessThanOrEqual(pacing.lateStretches * pacing.lateness.max + 0.1);
    if (process.platform === 'linux') expect(pacing.cpuWaitMs).not.toBeNull();
    // 40 creates/s on the lab never reach the 2,000 unanswered that hold a start back
    expect(pacing.inFlightLimit).toBe(2000);
    expect(pacing.inFlightWaitMs).toBe(0);
    expect(pacing.cpuWaitMs ?? 0).toBeLessThanOrEqual(pacing.lateStretchMs + 0.1);
  });

  it('reports the objects the operator fails, with its reason', async () => {
    const scenario = await temp.write(
      'failing.yaml',
      `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: failing}
spec:
  seed: 3
  namespaces: {count: 2}
  objects:
    - name: machines
      apiVersion: vitistack.io/v1alpha1
      kind: Machine
      count: 200
      vars:
        fail: {choice: [{value: "", weight: 95}, {value: "simulated quota exceeded", weight: 5}]}
      annotations: {lab.vitictl.io/inject-failure: "{{fail}}"}
      template: {spec: {provider: kubevirt, memory: 1024}}
      ready:
        field: {path: .status.phase, equals: Running}
        failed: {field: {path: .status.phase, equals: Failed}}
        failureMessagePath: .status.failureMessage
`,
    );
    const generated = await vitictl(['scenario', 'generate', scenario, '-o', 'json']);
    const expected = (
      JSON.parse(String(generated.stdout)) as {
        items: Array<{ metadata: { annotations?: Record<string, string> } }>;
      }
    ).items.filter((item) => item.metadata.annotations?.['lab.vitictl.io/inject-failure']).length;
    expect(expected).toBeGreaterThan(0);
    const file = temp.path('failing.json');
    const result = await vitictl(['apply', scenario, '--concurrency', '16', '--out', file, '-q'], {
      env: env(),
    });
    expect(result.exitCode).toBe(1);
    const run = readResult(file);
    expectCountsAddUp(run);
    expect(run.apply!.counts.failed).toBe(expected);
    expect(run.apply!.counts.ready).toBe(200 - expected);
    expect(Object.keys(run.apply!.failureReasons)).toEqual([
      'injected permanent provisioning failure (lab.vitictl.io/inject-failure): simulated quota exceeded',
    ]);
    expect(run.apply!.failures[0]).toMatchObject({ kind: 'Machine', stage: 'ready' });
    expect(String(result.stdout)).toMatch(
      new RegExp(`^${expected} failed and 0 timed out of 200 objects$`, 'm'),
    );
  });

  it('survives a kube-apiserver restart mid-run: nothing lost from the accounting, the gap reported', async () => {
    const file = (await temp.write('x', '')).replace(/x$/, 'restart.json');
    const child = vitictl(
      ['apply', 'machines', '--count', '2000', '--qps', '200', '--run-id', 'it-restart', '--out', file, '-q'],
      { env: env() },
    );
    // restart mid-run, not during preflight: once creates are landing (a loaded machine starts slowly)
    for (let waited = 0; (await leftovers('it-restart')) === '' && waited < 60; waited++) await sleep(500);
    await restartApiserver(lab().dir, 1000);
    const result = await child;
    expect(result.exitCode, String(result.stderr) + String(result.stdout)).toBe(0);
    const run = readResult(file);
    expectCountsAddUp(run);
    expect(run.apply!.counts.ready).toBe(2000);
    expect(run.apply!.counts.created).toBe(2000);
    expect(run.apply!.watch.gaps.length).toBeGreaterThanOrEqual(1);
    expect(run.apply!.watch.gaps[0]!.seconds).toBeGreaterThan(0.5);
    const networkErrors = ['refused', 'reset', 'timeout'].reduce(
      (sum, key) => sum + (run.apply!.errors[key] ?? 0),
      0,
    );
    expect(networkErrors).toBeGreaterThan(0);
    expect(String(result.stdout)).toMatch(/^watch gap: machines down \d+\.\ds/m);
    expect(await leftovers('it-restart')).toBe('');
  });

  it('on Ctrl-C stops creating, writes the partial result, cleans up and exits 130', async () => {
    const file = (await temp.write('x', '')).replace(/x$/, 'interrupted.json');
    const child = vitictl(
      ['apply', 'machines', '--count', '3000', '--qps', '100', '--run-id', 'it-sigint', '--out', file],
      { env: env() },
    );
    for (let waited = 0; (await leftovers('it-sigint')) === '' && waited < 60; waited++) await sleep(500);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const run = readResult(file);
    expect(run.interrupted).toBe(true);
    expectCountsAddUp(run);
    expect(run.apply!.counts.notStarted).toBeGreaterThan(0);
    expect(run.cleanup!.deleted).toBe(run.apply!.counts.created);
    expect(await leftovers('it-sigint')).toBe('');
    expect(String(result.stderr)).toMatch(/interrupt: stopping creates, cleaning up/);
  });

  it('two runs started at once with one run id: never one deleting the objects of the other', async () => {
    await temp.write('twin', '');
    const outs = [0, 1].map((i) => temp.path(`twin-${i}.json`));
    const twins = await Promise.all(
      outs.map((out) =>
        vitictl(
          ['apply', 'machines', '--count', '200', '--qps', '100', '--run-id', 'it-twins', '--out', out],
          { env: env() },
        ),
      ),
    );
    // a run that checks the run id after the other created objects is refused by that check; when
    // both saw it unused, the namespaces show the other run: whoever meets one of the other's is
    // refused (exit 2) before any object, and a run that goes on has all of its own
    for (const [i, twin] of twins.entries()) {
      expect([0, 2], String(twin.stderr)).toContain(twin.exitCode);
      if (twin.exitCode === 2) {
        expect(errorLines(twin.stderr)).toEqual([
          expect.stringMatching(
            /^error: (namespace vitictl-it-twins-\d+ was created by another run with run id it-twins|run id "it-twins" is in use)/,
          ),
        ]);
      } else {
        const run = readResult(outs[i]!);
        expect(run.apply!.counts.ready).toBe(200);
        expect(run.cleanup!.deleted).toBe(200);
      }
    }
    expect(await leftovers('it-twins')).toBe('');
  });

  it('cleans up a run that kept its objects, listing them page by page', async () => {
    const kept = await vitictl(
      ['apply', 'machines', '--count', '7', '--no-wait', '--keep', '--run-id', 'it-pages', '-q'],
      { env: env() },
    );
    expect(kept.exitCode, String(kept.stderr)).toBe(0);
    expect((await leftovers('it-pages')).split('\n')).toHaveLength(7);
    const rest = await KubeRest.create(await connect({ kubeconfig: lab().kubeconfig }));
    try {
      const kinds = await discoverKinds(rest, [{ apiVersion: 'vitistack.io/v1alpha1', kind: 'Machine' }]);
      const result = await cleanupRun(rest, {
        runId: 'it-pages',
        resources: [...kinds.values()],
        createdNamespaces: [],
        pageSize: 2, // four pages for seven objects: the continue token is followed
      });
      expect(result).toMatchObject({ deleted: 7, failed: 0, leftBehind: [] });
    } finally {
      await rest.close();
    }
    expect(await leftovers('it-pages')).toBe('');
  });

  it('fails preflight with one line for an unreachable server (exit 1)', async () => {
    const port = await freePort();
    const config = readFileSync(lab().kubeconfig, 'utf8').replace(
      /https:\/\/127\.0\.0\.1:\d+/,
      `https://127.0.0.1:${port}`,
    );
    const file = await temp.write('unreachable.kubeconfig', config);
    const result = await vitictl(['apply', 'machines', '--count', '5', '--kubeconfig', file]);
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      `error: cannot reach the API server at https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });

  it('rejects an unknown context (exit 2)', async () => {
    const result = await vitictl(['apply', 'machines', '--count', '5', '--context', 'nope'], { env: env() });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual(['error: context "nope" is not in the kubeconfig']);
  });

  it('names kinds the cluster does not serve (exit 2), creating nothing', async () => {
    const crd = await temp.write(
      'widget-crd.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]\n',
    );
    const result = await vitictl(['apply', '--crd', crd, '--count', '3', '--run-id', 'it-nocrd'], {
      env: env(),
    });
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      'error: Widget (example.com/v1) is not served: group example.com is not served at all',
    ]);
    const namespaces = await kubectl(['get', 'ns', '-l', 'vitictl.io/run-id=it-nocrd', '-o', 'name']);
    expect(String(namespaces.stdout).trim()).toBe('');
  });

  it('watches per namespace where RBAC allows no cluster-wide watch, with more namespaces than creates in flight', async () => {
    // 12 namespaces, one watch each, beside 2 creates in flight: the watches hold their connections
    // for the whole run and must not take the creates' (a pool of 2 + 8 would hold 10 of them)
    const namespaces = Array.from({ length: 12 }, (_, i) => `it-nsw-${i}`);
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'it-nsw' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      ],
    };
    const items = [
      role,
      ...namespaces.flatMap((name) => [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'it-nsw', namespace: name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'it-nsw' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'it-nsw' }],
        },
      ]),
    ];
    const applied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    );
    expect(applied.exitCode, String(applied.stderr)).toBe(0);
    const scenario = await temp.write(
      'per-namespace.yaml',
      `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: per-namespace}
spec:
  seed: 1
  namespaces: {count: 12, create: false, nameTemplate: "it-nsw-{{nsIndex}}"}
  objects:
    - name: configmaps
      apiVersion: v1
      kind: ConfigMap
      scope: Namespaced
      count: 24
      template: {data: {k: v}}
      ready:
        field: {path: .data.k, equals: v}
`,
    );
    const kubeconfig = await userKubeconfig(lab(), 'it-nsw', temp.dir());
    const file = temp.path('per-namespace.json');
    const result = await vitictl(
      [
        'apply',
        scenario,
        '--concurrency',
        '2',
        '--kubeconfig',
        kubeconfig,
        '--run-id',
        'it-nsw',
        '--out',
        file,
        '-q',
      ],
      { timeout: 60_000 },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const apply = readResult(file).apply!;
    expect(apply.counts.ready).toBe(24);
    expect(apply.warmConnections).toBe(2);
    const left = await kubectl(['get', 'configmaps', '-A', '-l', 'vitictl.io/run-id=it-nsw', '-o', 'name']);
    expect(String(left.stdout).trim()).toBe('');
    await kubectl(['delete', 'namespaces', ...namespaces, '--wait=false']);
  });

  it('lists what RBAC denies (exit 2) and creates nothing', async () => {
    const state = lab();
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'it-no-delete' },
      rules: [
        { apiGroups: ['vitistack.io'], resources: ['machines'], verbs: ['create', 'get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'get'] },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'it-no-delete' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'it-no-delete' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'it-limited' }],
    };
    expect(
      (
        await kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [role, binding] }),
        )
      ).exitCode,
    ).toBe(0);
    await temp.write('x', '');
    const kubeconfig = await userKubeconfig(state, 'it-limited', temp.dir());
    const result = await vitictl([
      'apply',
      'machines',
      '--count',
      '5',
      '--kubeconfig',
      kubeconfig,
      '--run-id',
      'it-rbac',
    ]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toHaveLength(1);
    expect(errorLines(result.stderr)[0]).toMatch(
      /^error: RBAC denies what this run needs: delete machines\.vitistack\.io in vitictl-it-rbac-0, delete namespaces$/,
    );
    const namespaces = await kubectl(['get', 'ns', '-l', 'vitictl.io/run-id=it-rbac', '-o', 'name']);
    expect(String(namespaces.stdout).trim()).toBe('');
    const keep = await vitictl([
      'apply',
      'machines',
      '--count',
      '3',
      '--kubeconfig',
      kubeconfig,
      '--run-id',
      'it-rbac-keep',
      '--keep',
      '-q',
    ]);
    expect(keep.exitCode, String(keep.stderr)).toBe(0);
  });
});
