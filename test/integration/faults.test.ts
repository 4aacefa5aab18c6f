import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labUp, restartApiserver } from '../../src/lab/lab.js';
import type { RunResult } from '../../src/report/run-result.js';
import type { CleanupResult } from '../../src/report/sections/cleanup.js';
import { vitictl } from '../helpers/binary.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { freezingProxy } from '../helpers/freezing-proxy.js';
import { eventually, kubectl, lab } from '../helpers/lab.js';
import { labKubeconfig, userKubeconfig } from '../helpers/lab-users.js';

/**
 * Faults injected into a real lab: an API server that crashes during cleanup, API Priority and
 * Fairness rejecting a throttled client, SIGTERM, a reused run id, rejected credentials. Each one
 * must end with every object accounted for and nothing left behind (or an exit code that says so).
 */

const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });

function readResult(file: string): RunResult {
  return JSON.parse(readFileSync(file, 'utf8')) as RunResult;
}

async function machinesOf(runId: string): Promise<string[]> {
  const found = await kubectl(['get', 'machines', '-A', '-l', `vitictl.io/run-id=${runId}`, '-o', 'name']);
  return String(found.stdout).trim().split('\n').filter(Boolean);
}

function expectCleanupAddsUp(cleanup: CleanupResult) {
  expect(cleanup.deleted + cleanup.alreadyGone + cleanup.failed).toBe(cleanup.found);
}

describe('faults: every object accounted for and cleaned up', () => {
  const temp = useTempDir();

  it('a run id already in use is refused before anything is created (exit 2)', async () => {
    const first = await vitictl(
      ['apply', 'machines', '--count', '5', '--no-wait', '--keep', '--run-id', 'it-fault-reuse', '-q'],
      { env: env() },
    );
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const second = await vitictl(
      ['apply', 'machines', '--count', '8', '--no-wait', '--run-id', 'it-fault-reuse'],
      {
        env: env(),
      },
    );
    expect(second.exitCode).toBe(2);
    expect(errorLines(second.stderr)[0]).toMatch(
      /^error: run id "it-fault-reuse" is in use: machines\/\S+ already carries vitictl\.io\/run-id=it-fault-reuse$/,
    );
    expect(String(second.stderr)).toMatch(/--reuse-run-id/);
    // the first run's objects are untouched: the refused run deleted nothing
    expect(await machinesOf('it-fault-reuse')).toHaveLength(5);
  });

  it('cleanup with rejected credentials (401) is an error and deletes nothing; with good ones it finishes', async () => {
    const state = lab();
    const bad = await temp.write(
      'bad-token.kubeconfig',
      labKubeconfig(state, 'bad', { token: 'not-a-valid-token' }),
    );
    const rejected = await vitictl(['cleanup', '--run-id', 'it-fault-reuse', '--kubeconfig', bad]);
    expect(rejected.exitCode).toBe(1);
    expect(errorLines(rejected.stderr)[0]).toMatch(/rejected our credentials \(401 Unauthorized\)/);
    expect(String(rejected.stdout)).not.toMatch(/deleted/);
    expect(String(rejected.stderr)).not.toContain('not-a-valid-token');
    expect(await machinesOf('it-fault-reuse')).toHaveLength(5);
    const good = await vitictl(['cleanup', 'machines', '--run-id', 'it-fault-reuse'], { env: env() });
    expect(good.exitCode, String(good.stderr)).toBe(0);
    expect(String(good.stdout)).toMatch(/^run it-fault-reuse: cleanup: deleted 5 objects/m);
    expect(await machinesOf('it-fault-reuse')).toEqual([]);
  });

  it('SIGTERM is a graceful stop: partial result, cleanup, exit 143', async () => {
    const file = (await temp.write('x', '')).replace(/x$/, 'sigterm.json');
    const child = vitictl(
      ['apply', 'machines', '--count', '3000', '--qps', '100', '--run-id', 'it-fault-sigterm', '--out', file],
      { env: env() },
    );
    await sleep(2500);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(143);
    const run = readResult(file);
    expect(run.interrupted).toBe(true);
    const c = run.apply!.counts;
    expect(c.ready + c.failed + c.timedOut + c.notWaited + c.interrupted + c.notStarted).toBe(c.total);
    expect(c.notStarted).toBeGreaterThan(0);
    expect(run.cleanup!.found).toBe(c.created);
    expect(run.cleanup!.deleted).toBe(c.created);
    expect(await machinesOf('it-fault-sigterm')).toEqual([]);
  });

  it('a second SIGTERM quits at once and prints the cleanup command', async () => {
    const child = vitictl(
      ['apply', 'machines', '--count', '3000', '--qps', '200', '--run-id', 'it-fault-twice'],
      { env: env() },
    );
    await sleep(2500);
    child.kill('SIGTERM');
    await sleep(50);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(String(result.stderr)).toMatch(/vitictl cleanup --run-id it-fault-twice/);
    const cleaned = await vitictl(['cleanup', 'machines', '--run-id', 'it-fault-twice'], { env: env() });
    expect(cleaned.exitCode, String(cleaned.stderr)).toBe(0);
    expect(await machinesOf('it-fault-twice')).toEqual([]);
  });
});

describe('faults: vitictl cleanup interrupted', () => {
  it('Ctrl-C starts no more deletes: exit 130, what it deleted counted, the rest untouched; a second cleanup finishes', async () => {
    const runId = 'it-fault-cleanup-int';
    const created = await vitictl(
      ['apply', 'machines', '--count', '400', '--qps', '200', '--no-wait', '--keep', '--run-id', runId, '-q'],
      { env: env() },
    );
    expect(created.exitCode, String(created.stderr)).toBe(0);
    // 400 DELETEs at 50/s take 8 s: the interrupt comes about a second in
    const child = vitictl(['cleanup', 'machines', '--run-id', runId, '--qps', '50', '-o', 'json'], {
      env: env(),
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await eventually(
      async () => (stderr.includes('deleting 400 machines') ? true : undefined),
      30_000,
      'deleting',
    );
    await sleep(1000);
    child.kill('SIGINT');
    const interrupted = await child;
    expect(interrupted.exitCode, stderr).toBe(130);
    const cut = JSON.parse(String(interrupted.stdout)) as CleanupResult;
    expect(cut.interrupted).toBe(true);
    expect(cut.found).toBe(400);
    expect(cut.deleted).toBeGreaterThan(0);
    expect(cut.deleted).toBeLessThan(400);
    expect(cut.failed).toBe(0);
    expect(cut.errors).toEqual({});
    expect(stderr).toMatch(
      /objects of run it-fault-cleanup-int may remain; run vitictl cleanup --run-id it-fault-cleanup-int again/,
    );
    // what it did not delete is still there: all of it but the deletes the interrupt cut short,
    // which the server may have carried out before the answer was abandoned
    const untouched = 400 - cut.deleted - cut.alreadyGone;
    const cutShort = cut.cutShort ?? 0;
    const left = await eventually(
      async () => {
        const count = (await machinesOf(runId)).length;
        return count <= untouched && count >= untouched - cutShort ? count : undefined;
      },
      60_000,
      'the deleted ones gone',
    );
    const finished = await vitictl(['cleanup', 'machines', '--run-id', runId, '-o', 'json'], { env: env() });
    expect(finished.exitCode, String(finished.stderr)).toBe(0);
    const rest = JSON.parse(String(finished.stdout)) as CleanupResult;
    expect(rest.found).toBe(left);
    expectCleanupAddsUp(rest);
    expect(await machinesOf(runId)).toEqual([]);
  });
});

describe('faults: an apply that cannot go on still removes what it created', () => {
  const temp = useTempDir();

  async function namespacesOf(runId: string): Promise<string[]> {
    const found = await kubectl(['get', 'ns', '-l', `vitictl.io/run-id=${runId}`, '-o', 'name']);
    return String(found.stdout).trim().split('\n').filter(Boolean);
  }

  const scenario = (name: string, namespaces: number) =>
    temp.write(
      `${name}.yaml`,
      `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: ${name}}
spec:
  seed: 1
  namespaces: {count: ${namespaces}, nameTemplate: "${name}-{{nsIndex}}"}
  objects:
    - name: configmaps
      apiVersion: v1
      kind: ConfigMap
      scope: Namespaced
      count: ${namespaces * 2}
      template: {data: {k: v}}
      ready:
        field: {path: .data.k, equals: v}
`,
    );

  /** The lab's API server behind a proxy that can freeze, and a kubeconfig that goes through it. */
  async function throughFreezingProxy() {
    const state = lab();
    const proxy = await freezingProxy(state.ports.apiserver);
    const kubeconfig = await temp.write(
      `through-proxy-${proxy.port}.kubeconfig`,
      readFileSync(state.kubeconfig, 'utf8').replace(
        `127.0.0.1:${state.ports.apiserver}`,
        `127.0.0.1:${proxy.port}`,
      ),
    );
    return { proxy, kubeconfig };
  }

  it('a namespace that exists already, third of four: the two created before it are deleted, exit 2', async () => {
    const created = await kubectl(['create', 'namespace', 'it-clash-2']);
    expect(created.exitCode, String(created.stderr)).toBe(0);
    try {
      const result = await vitictl(['apply', await scenario('it-clash', 4), '--run-id', 'it-clash'], {
        env: env(),
      });
      const lines = errorLines(String(result.stderr));
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(lines[0]).toBe('error: namespace it-clash-2 already exists and was not created by run it-clash');
      expect(await namespacesOf('it-clash')).toEqual([]);
      // the namespace that was not the run's is untouched
      const kept = await kubectl(['get', 'ns', 'it-clash-2', '-o', 'jsonpath={.status.phase}']);
      expect(String(kept.stdout)).toBe('Active');
    } finally {
      await kubectl(['delete', 'namespace', 'it-clash-2', '--wait=false']);
    }
  });

  it("an audit log gone before the run ends: exit 1 naming the file, and the run's objects deleted all the same", async () => {
    const auditLog = await temp.write('audit.log', '');
    const child = vitictl(
      [
        'apply',
        'machines',
        '--count',
        '300',
        '--qps',
        '100',
        '--run-id',
        'it-fault-audit',
        '--audit-log',
        auditLog,
      ],
      { env: env() },
    );
    await eventually(
      async () => ((await machinesOf('it-fault-audit')).length > 0 ? true : undefined),
      30_000,
      "the run's first Machine",
    );
    await rm(auditLog);
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      `error: cannot read the audit log ${auditLog}: ENOENT: no such file or directory, stat '${auditLog}'`,
    ]);
    expect(await machinesOf('it-fault-audit')).toEqual([]);
  });

  it('SIGTERM while a silent API server holds the readiness watches: the apply stops at once, cleanup runs once it answers, exit 143', async () => {
    const { proxy, kubeconfig } = await throughFreezingProxy();
    // 30 namespaces, created one after another on one connection; once the first exists, the next new
    // connection is the readiness watch's, for its first list: the proxy freezes there
    const namespaceWatch = execa(
      'kubectl',
      ['get', 'ns', '-l', 'vitictl.io/run-id=it-fault-silent', '--watch', '-o', 'name'],
      { env: { KUBECONFIG: lab().kubeconfig }, reject: false },
    );
    const file = temp.path('silent.json');
    try {
      await sleep(500);
      const child = vitictl(
        [
          'apply',
          await scenario('it-fault-silent', 30),
          '--run-id',
          'it-fault-silent',
          '--kubeconfig',
          kubeconfig,
          '--no-apiserver-metrics',
          '--out',
          file,
        ],
        { env: { NO_COLOR: '1' } },
      );
      await new Promise<void>((resolve) =>
        namespaceWatch.stdout!.once('data', () => {
          proxy.freezeAtNextConnection();
          resolve();
        }),
      );
      await eventually(
        async () => ((await namespacesOf('it-fault-silent')).length === 30 ? true : undefined),
        30_000,
        "the run's 30 namespaces",
      );
      await sleep(300);
      child.kill('SIGTERM');
      await sleep(5000);
      proxy.thaw();
      const result = await child;
      const said = String(result.stderr);
      expect(result.exitCode, said).toBe(143);
      const run = readResult(file);
      expect(run.interrupted).toBe(true);
      expect(run.apply!.counts.notStarted).toBe(run.apply!.counts.total);
      // the apply ended with the interrupt, not when the server answered again 5 s later
      const applied = run.phases.find((phase) => phase.name === 'apply')!;
      expect(applied.seconds, said).toBeLessThan(3);
      expect(run.cleanup!.namespacesDeleted).toHaveLength(30);
      expect(await namespacesOf('it-fault-silent')).toEqual([]);
    } finally {
      proxy.thaw();
      namespaceWatch.kill();
      await proxy.close();
    }
  });

  it('SIGTERM while the controller metrics target has gone silent: cleanup starts at once, exit 143', async () => {
    // accepts connections and never answers: every scrape waits for a TLS handshake that never comes
    const held: Socket[] = [];
    const silent = createTcpServer((socket) => held.push(socket));
    const port = await new Promise<number>((resolve) =>
      silent.listen(0, '127.0.0.1', () => resolve((silent.address() as { port: number }).port)),
    );
    const file = await temp.write('silent-metrics.json', '');
    try {
      const child = vitictl(
        [
          'apply',
          'machines',
          '--count',
          '2000',
          '--qps',
          '100',
          '--no-wait',
          '--run-id',
          'it-fault-silent-metrics',
          '--metrics',
          `https://127.0.0.1:${port}/metrics`,
          '--insecure-skip-tls-verify',
          '--no-apiserver-metrics',
          '--out',
          file,
        ],
        { env: env() },
      );
      await eventually(
        async () => ((await machinesOf('it-fault-silent-metrics')).length > 0 ? true : undefined),
        30_000,
        "the run's first Machine",
      );
      await sleep(1000);
      child.kill('SIGTERM');
      const result = await child;
      const said = String(result.stderr);
      expect(result.exitCode, said).toBe(143);
      const run = readResult(file);
      // the scrape in flight (10 s to its connect timeout) and a last one after it held the cleanup 18 s
      const applied = run.phases.find((phase) => phase.name === 'apply')!;
      const cleanup = run.phases.find((phase) => phase.name === 'cleanup')!;
      expect(Date.parse(cleanup.start) - Date.parse(applied.end), said).toBeLessThan(3000);
      expect(run.cleanup!.deleted).toBe(run.apply!.counts.created);
      expect(said).toContain(
        `warning: metrics target https://127.0.0.1:${port}/metrics never answered (no scrape ended before the run stopped)`,
      );
      expect(await machinesOf('it-fault-silent-metrics')).toEqual([]);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('SIGTERM while a silent API server holds the preflight: exit 143 at once, nothing created', async () => {
    const { proxy, kubeconfig } = await throughFreezingProxy();
    // the run's first connection is the preflight's GET /version: the proxy freezes there
    proxy.freezeAtNextConnection();
    try {
      const child = vitictl(
        [
          'apply',
          await scenario('it-fault-preflight', 3),
          '--run-id',
          'it-fault-preflight',
          '--kubeconfig',
          kubeconfig,
          '--no-apiserver-metrics',
        ],
        { env: { NO_COLOR: '1' } },
      );
      await sleep(1500);
      const signalled = performance.now();
      child.kill('SIGTERM');
      const result = await child;
      // its requests would have waited 10 s for the connection (undici's connect timeout)
      expect(performance.now() - signalled).toBeLessThan(3000);
      expect(result.exitCode, String(result.stderr)).toBe(143);
      expect(errorLines(String(result.stderr))).toEqual([
        'error: interrupted during preflight: nothing was created',
      ]);
      proxy.thaw();
      expect(await namespacesOf('it-fault-preflight')).toEqual([]);
    } finally {
      proxy.thaw();
      await proxy.close();
    }
  });
});

describe('faults: kube-apiserver crashes while cleanup deletes', () => {
  const COUNT = 1500;
  const runIds = ['it-fault-crash', 'it-fault-outlasts'];
  // whatever a test did, the next one finds a running API server and none of these objects
  afterEach(async () => {
    await labUp({ dir: lab().dir }, () => undefined);
    for (const runId of runIds) await vitictl(['cleanup', 'machines', '--run-id', runId], { env: env() });
  });

  async function keep(runId: string) {
    const kept = await vitictl(
      ['apply', 'machines', '--count', String(COUNT), '--no-wait', '--keep', '--run-id', runId, '-q'],
      { env: env() },
    );
    expect(kept.exitCode, String(kept.stderr)).toBe(0);
  }

  /**
   * Start a paced cleanup (--qps 100: 15 s of DELETEs), wait until the first object is gone (so the
   * DELETE phase is under way, not discovery), then kill -9 kube-apiserver and start it again.
   */
  async function cleanupThroughCrash(runId: string, extra: string[], downMs: number) {
    const child = vitictl(
      ['cleanup', 'machines', '--run-id', runId, '--qps', '100', '-o', 'json', ...extra],
      {
        env: env(),
      },
    );
    try {
      const leftAtCrash = await eventually(
        async () => {
          const left = (await machinesOf(runId)).length;
          return left < COUNT ? left : undefined;
        },
        60_000,
        'the first DELETE of the cleanup',
      );
      const crashed = performance.now();
      await restartApiserver(lab().dir, downMs);
      const outageMs = performance.now() - crashed;
      const result = await child;
      const cleanup = JSON.parse(String(result.stdout)) as CleanupResult;
      return { result, cleanup, leftAtCrash, outageMs };
    } finally {
      child.kill('SIGKILL');
    }
  }

  const networkFailures = (cleanup: CleanupResult) =>
    ['refused', 'reset', 'timeout', '500', '502', '503', '504'].reduce(
      (sum, key) => sum + (cleanup.errors[key] ?? 0),
      0,
    );

  it('cleanup retries through the restart: every object gone, the counts add up, exit 0', async () => {
    await keep('it-fault-crash');
    const { result, cleanup, leftAtCrash, outageMs } = await cleanupThroughCrash('it-fault-crash', [], 1000);
    const said = `${String(result.stderr)}\n${String(result.stdout)}`;
    // the crash hit the DELETE phase: objects were left to delete, and requests failed and were retried
    expect(leftAtCrash).toBeGreaterThan(0);
    expect(networkFailures(cleanup), said).toBeGreaterThan(0);
    expect(cleanup.retries).toBeGreaterThan(0);
    expect(outageMs).toBeLessThan(90_000);
    expect(result.exitCode, said).toBe(0);
    expect(cleanup.found).toBe(COUNT);
    expectCleanupAddsUp(cleanup);
    expect(cleanup.failed).toBe(0);
    expect(cleanup.leftBehind).toEqual([]);
    expect(cleanup.problems).toEqual([]);
    expect(await machinesOf('it-fault-crash')).toEqual([]);
  });

  it('an outage longer than --retry-timeout: exit 1, honest counts, the cleanup hint; a second cleanup finishes', async () => {
    await keep('it-fault-outlasts');
    const { result, cleanup, leftAtCrash } = await cleanupThroughCrash(
      'it-fault-outlasts',
      ['--retry-timeout', '2s'],
      4000,
    );
    const said = `${String(result.stderr)}\n${String(result.stdout)}`;
    expect(leftAtCrash).toBeGreaterThan(0);
    expect(result.exitCode, said).toBe(1);
    expect(String(result.stderr)).toMatch(
      /^warning: objects of run it-fault-outlasts may remain; run vitictl cleanup --run-id it-fault-outlasts again$/m,
    );
    expect(cleanup.found).toBe(COUNT);
    expectCleanupAddsUp(cleanup);
    expect(cleanup.failed).toBeGreaterThan(0);
    expect(cleanup.problems.join('\n')).toMatch(
      /delete machines: gave up after \d+ attempts \(timeout\); last: /,
    );
    // what is named is what could not be deleted (a DELETE that reached etcd before the crash is gone);
    // the run's namespaces were deleted too, so the namespace controller may have taken some since
    const left = await machinesOf('it-fault-outlasts');
    expect(cleanup.leftBehindCount).toBeGreaterThan(0);
    expect(cleanup.leftBehindCount).toBeLessThanOrEqual(cleanup.failed);
    expect(left.length).toBeLessThanOrEqual(cleanup.leftBehindCount!);
    const again = await vitictl(['cleanup', 'machines', '--run-id', 'it-fault-outlasts', '-o', 'json'], {
      env: env(),
    });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const second = JSON.parse(String(again.stdout)) as CleanupResult;
    expect(second.found).toBeLessThanOrEqual(left.length);
    expect(second.deleted + second.alreadyGone).toBe(second.found);
    expect(await machinesOf('it-fault-outlasts')).toEqual([]);
  });
});

describe('faults: API Priority and Fairness rejects a throttled client', () => {
  const temp = useTempDir();
  let kubeconfig: string;
  // a priority level with one share and Reject: a handful of seats, everything beyond is a 429
  const apf = [
    {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'it-throttled' },
      spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Reject' } } },
    },
    {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'it-throttled' },
      spec: {
        priorityLevelConfiguration: { name: 'it-throttled' },
        matchingPrecedence: 100,
        distinguisherMethod: { type: 'ByUser' },
        rules: [
          {
            subjects: [{ kind: 'User', user: { name: 'it-throttled' } }],
            resourceRules: [
              { verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] },
            ],
            nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          },
        ],
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'it-throttled' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'it-throttled' }],
    },
  ];

  beforeAll(async () => {
    const applied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apf }),
    );
    expect(applied.exitCode, String(applied.stderr)).toBe(0);
    await temp.write('placeholder', '');
    kubeconfig = await userKubeconfig(lab(), 'it-throttled', temp.dir());
  });
  afterAll(async () => {
    await kubectl(
      ['delete', '-f', '-', '--ignore-not-found'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: apf }),
    );
  });

  it('creates time the 429 waits, and cleanup retries them until every object is gone', async () => {
    const file = (await temp.write('x', '')).replace(/x$/, 'apf.json');
    const result = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '600',
        '--concurrency',
        '64',
        '--no-wait',
        '--run-id',
        'it-fault-apf',
        '--kubeconfig',
        kubeconfig,
        '--out',
        file,
        '-q',
      ],
      { env: { NO_COLOR: '1' } },
    );
    expect(result.exitCode, String(result.stderr) + String(result.stdout)).toBe(0);
    const run = readResult(file);
    const apply = run.apply!;
    expect(apply.counts.created).toBe(600);
    expect(apply.errors['429']).toBeGreaterThan(0);
    expect(apply.attempts.throttledObjects).toBeGreaterThan(0);
    expect(apply.attempts.maxAttempts).toBeGreaterThan(1);
    // the create latency runs from the first send: a create that waited out a Retry-After of 1 s shows it
    expect(apply.latency.create.max).toBeGreaterThanOrEqual(900);
    expect(String(result.stdout)).toMatch(/throttled \(429\) for \d+\.\d s in all/);
    const cleanup = run.cleanup!;
    expect(cleanup.found).toBe(600);
    expectCleanupAddsUp(cleanup);
    expect(cleanup.failed).toBe(0);
    expect(cleanup.errors['429']).toBeGreaterThan(0);
    expect(await machinesOf('it-fault-apf')).toEqual([]);
  });
});

describe('signals outside the lab', () => {
  const temp = useTempDir();
  it('SIGTERM during scenario generate --out leaves no temp file behind (exit 143)', async () => {
    const out = (await temp.write('x', '')).replace(/x$/, 'big.yaml');
    const child = vitictl(['scenario', 'generate', 'machines', '--count', '5000000', '--out', out]);
    await sleep(1500);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(readdirSync(temp.dir()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
