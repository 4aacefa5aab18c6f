import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { probe } from '../../src/lab/http-probe.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import { isRunning } from '../../src/lab/process.js';
import { readState } from '../../src/lab/state.js';
import { vitictl } from '../helpers/binary.js';
import {
  eventually,
  kubectl,
  lab,
  machineWorkers,
  metricsText,
  setOperatorConfig,
  TEST_LAB_CONFIG,
} from '../helpers/lab.js';

function machine(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: 'default' },
    spec: { provider: 'kubevirt', ...spec },
  });
}

function rawGet(url: string): Promise<{ status: number; body: Buffer; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(chunks),
          type: response.headers['content-type'],
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('the lab', () => {
  it('serves the Kubernetes version it was built as', async () => {
    const state = lab();
    const result = await probe(`https://127.0.0.1:${state.ports.apiserver}/version`, { ca: state.certs.ca });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body).gitVersion).toBe('v1.37.2');
  });

  it("has the VitiStack API module's 14 CRDs installed and established", async () => {
    const result = await kubectl([
      'get',
      'crd',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}',
    ]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).trim().split('\n').sort()).toEqual(
      [
        'clusterstorageclasses',
        'clusterstorages',
        'controlplanevirtualsharedips',
        'etcdbackups',
        'kubernetesclusters',
        'kubernetesproviders',
        'kubevirtconfigs',
        'machineclasses',
        'machineproviders',
        'machines',
        'networkconfigurations',
        'networknamespaces',
        'proxmoxconfigs',
        'vitistacks',
      ].map((plural) => `${plural}.vitistack.io=True`),
    );
  });

  it('reconciles a Machine created with kubectl to Running as the module defines it, holds its finalizer until deleted', async () => {
    const created = await kubectl(
      ['apply', '-f', '-'],
      machine('lab-test-ok', { memory: 1024, os: { architecture: 'amd64' }, cpu: { cores: 2, sockets: 2 } }),
    );
    expect(created.exitCode, String(created.stderr)).toBe(0);
    const object = await eventually(
      async () => {
        const got = await kubectl(['get', 'machine', 'lab-test-ok', '-n', 'default', '-o', 'json']);
        const parsed = JSON.parse(String(got.stdout)) as {
          status?: {
            phase?: string;
            state?: string;
            provider?: string;
            cpus?: number;
            conditions?: Array<{ type: string; status: string; reason: string }>;
          };
          metadata: { annotations?: Record<string, string>; finalizers?: string[] };
        };
        return parsed.status?.phase === 'Running' && parsed.metadata.annotations?.['lab.vitictl.io/ready-at']
          ? parsed
          : undefined;
      },
      30_000,
      'the Machine to become Running',
    );
    expect(object.status).toMatchObject({ state: 'running', provider: 'kubevirt', cpus: 4 });
    expect(object.status?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Provisioned' }),
    ]);
    expect(object.metadata.finalizers).toEqual(['lab.vitictl.io/reference-operator']);
    expect(object.metadata.annotations?.['lab.vitictl.io/ready-at']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
    // kubectl delete waits until the object is gone: the operator must release its finalizer
    const deleted = await kubectl(['delete', 'machine', 'lab-test-ok', '-n', 'default', '--timeout=30s']);
    expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
  });

  it('rejects a Machine its schema forbids, one its webhook forbids, and accepts a valid one', async () => {
    const bySchema = await kubectl(['create', '-f', '-'], machine('lab-test-schema', { memory: -1 }));
    expect(bySchema.exitCode).not.toBe(0);
    expect(String(bySchema.stderr)).toMatch(
      /spec\.memory: Invalid value: -1: spec\.memory in body should be greater than or equal to 0/,
    );
    const byWebhook = await kubectl(['create', '-f', '-'], machine('lab-test-bad', { provider: 'vmware' }));
    expect(byWebhook.exitCode).not.toBe(0);
    expect(String(byWebhook.stderr)).toMatch(
      /admission webhook "vmachine\.vitistack\.io" denied the request: Machine is invalid: spec\.provider vmware is not a supported machine provider/,
    );
    const accepted = await kubectl(['create', '-f', '-'], machine('lab-test-good', { memory: 2048 }));
    expect(accepted.exitCode, String(accepted.stderr)).toBe(0);
    await kubectl(['delete', 'machine', 'lab-test-good', '-n', 'default']);
  });

  it("serves controller-runtime's reconcile metrics", async () => {
    const metrics = await metricsText();
    expect(metrics).toMatch(
      /^controller_runtime_reconcile_total\{controller="machine",result="success"\} \d+/m,
    );
  });

  it('serves a gzipped CPU profile on its pprof port', async () => {
    const result = await rawGet(`http://127.0.0.1:${lab().ports.pprof}/debug/pprof/profile?seconds=1`);
    expect(result.status).toBe(200);
    expect(result.body.subarray(0, 2).toString('hex')).toBe('1f8b');
  });

  it('runs the operator as its own service account: the RBAC it needs and no more, queued by APF as workload-low', async () => {
    const sa = 'system:serviceaccount:vitistack-system:vitistack-operator';
    const can = async (...args: string[]) =>
      String((await kubectl(['auth', 'can-i', '--as', sa, ...args])).stdout).trim();
    expect(await can('patch', 'machines.vitistack.io', '--subresource', 'status', '-A')).toBe('yes');
    expect(await can('watch', 'kubernetesclusters.vitistack.io', '-A')).toBe('yes');
    expect(await can('watch', 'configmaps', '-n', 'vitistack-system')).toBe('yes');
    expect(await can('create', 'machines.vitistack.io', '-n', 'default')).toBe('no');
    expect(await can('delete', 'machines.vitistack.io', '-n', 'default')).toBe('no');
    expect(await can('get', 'secrets', '-n', 'vitistack-system')).toBe('no');
    expect(await can('get', 'configmaps', '-n', 'default')).toBe('no');
    const kubeconfig = readFileSync(join(lab().dir, 'operator.kubeconfig'), 'utf8');
    expect(kubeconfig).toMatch(/token: /);
    expect(kubeconfig).not.toMatch(/client-certificate/);
    // its requests (informers, status writes) pass the service-accounts flow schema, not the exempt one
    const metrics = String((await kubectl(['get', '--raw', '/metrics'])).stdout);
    const dispatched = metrics.match(
      /^apiserver_flowcontrol_dispatched_requests_total\{flow_schema="service-accounts",priority_level="workload-low"\} (\d+)/m,
    );
    expect(Number(dispatched?.[1] ?? 0)).toBeGreaterThan(0);
  });

  it('applies a changed performance ConfigMap: workers 8 → 5 → 8', async () => {
    expect(machineWorkers(await metricsText())).toBe(TEST_LAB_CONFIG.workers);
    await setOperatorConfig({ ...TEST_LAB_CONFIG, workers: 5 });
    await setOperatorConfig(TEST_LAB_CONFIG);
    expect(machineWorkers(await metricsText())).toBe(8);
  });
});

describe('vitictl lab (the CLI against the running lab)', () => {
  const env = () => ({ NO_COLOR: '1', VITICTL_LAB_DIR: lab().dir });

  it('status shows every component healthy; env prints the kubeconfig export', async () => {
    const status = await vitictl(['lab', 'status'], { env: env() });
    expect(status.exitCode, String(status.stdout)).toBe(0);
    for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'operator']) {
      expect(String(status.stdout)).toMatch(new RegExp(`^${component}\\s+\\d+\\s+healthy`, 'm'));
    }
    const printed = await vitictl(['lab', 'env'], { env: env() });
    expect(String(printed.stdout)).toBe(`export KUBECONFIG=${lab().kubeconfig}\n`);
  });

  it('a second up says a lab runs and does nothing', async () => {
    const pid = async () =>
      JSON.parse(String((await vitictl(['lab', 'status', '-o', 'json'], { env: env() })).stdout)).state
        .components.apiserver.pid;
    const before = await pid();
    const again = await vitictl(['lab', 'up'], { env: env() });
    expect(again.exitCode).toBe(0);
    expect(String(again.stdout)).toMatch(
      /^a lab is already running \(kube-apiserver v1\.37\.2 on :\d+\); nothing done$/m,
    );
    expect(await pid()).toBe(before);
  });
});

describe('vitictl lab up after its processes died (a separate lab: the shared one is not touched)', () => {
  it('starts etcd, kube-apiserver and kube-controller-manager again on the same data, ports, CA and kubeconfig: stored objects survive', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vitictl-it-crashed-lab-'));
    try {
      const { state } = await labUp(
        { dir, unsafeNoFsync: true, operator: false, webhook: false },
        () => undefined,
      );
      const kubectlHere = (args: string[]) =>
        execa('kubectl', args, { env: { KUBECONFIG: state.kubeconfig }, reject: false });
      const created = await kubectlHere([
        'create',
        'configmap',
        'survivor',
        '-n',
        'default',
        '--from-literal=k=v',
      ]);
      expect(created.exitCode, String(created.stderr)).toBe(0);
      const ca = readFileSync(state.certs.ca, 'utf8');
      const kubeconfig = readFileSync(state.kubeconfig, 'utf8');

      // a crash, not a stop: no chance to clean up
      const crashed = [
        state.components.controllerManager!,
        state.components.apiserver,
        state.components.etcd,
      ];
      for (const component of crashed) process.kill(component.pid, 'SIGKILL');
      while (crashed.some(isRunning)) await sleep(20);

      const env = { NO_COLOR: '1', VITICTL_LAB_DIR: dir };
      const down = await vitictl(['lab', 'status'], { env });
      expect(down.exitCode).toBe(1);
      expect(String(down.stdout)).toMatch(/^kube-apiserver\s+\d+\s+stopped/m);

      const up = await vitictl(['lab', 'up'], { env });
      expect(up.exitCode, String(up.stderr)).toBe(0);
      expect(String(up.stdout)).toMatch(
        /^lab restarted in [\d.]+s: etcd, kube-apiserver, kube-controller-manager started again on the lab's data, ports and certificates \(kube-apiserver at https:\/\/127\.0\.0\.1:\d+\); what it stored is kept$/m,
      );
      expect(String(up.stderr)).toMatch(
        /^lab: restarting kube-apiserver on its data, ports and certificates/m,
      );

      const after = await readState(dir);
      expect(after?.ports).toEqual(state.ports);
      expect(after?.components.apiserver.pid).not.toBe(state.components.apiserver.pid);
      expect(after?.components.controllerManager?.pid).not.toBe(state.components.controllerManager?.pid);
      expect(after?.components.controllerManager?.args).toEqual(state.components.controllerManager?.args);
      expect(readFileSync(state.certs.ca, 'utf8')).toBe(ca);
      expect(readFileSync(state.kubeconfig, 'utf8')).toBe(kubeconfig);
      const kept = await kubectlHere([
        'get',
        'configmap',
        'survivor',
        '-n',
        'default',
        '-o',
        'jsonpath={.data.k}',
      ]);
      expect(kept.exitCode, String(kept.stderr)).toBe(0);
      expect(String(kept.stdout)).toBe('v');

      const status = await vitictl(['lab', 'status'], { env });
      expect(status.exitCode, String(status.stdout)).toBe(0);
      for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager'])
        expect(String(status.stdout)).toMatch(new RegExp(`^${component}\\s+\\d+\\s+healthy`, 'm'));
      // the restarted kube-controller-manager works: a deleted namespace goes away
      await kubectlHere(['create', 'namespace', 'after-restart']);
      const deleted = await kubectlHere(['delete', 'namespace', 'after-restart', '--timeout=60s']);
      expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
    } finally {
      await labDown(dir);
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

/** Processes whose command line names `dir`: what a lab in that directory runs. */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir) && !cmdline.includes('vitictl.js'))
        found.push(`${pid} ${cmdline.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('vitictl lab up interrupted (a separate lab: the shared one is not touched)', () => {
  it('Ctrl-C or SIGTERM while it starts: what it started is stopped, no process and no directory left, exit 130 / 143', async () => {
    for (const [signal, stage, code] of [
      ['SIGINT', 'starting kube-apiserver', 130],
      ['SIGTERM', 'starting the operator', 143],
    ] as const) {
      const dir = join(await mkdtemp(join(tmpdir(), 'vitictl-it-interrupted-lab-')), 'lab');
      try {
        const child = vitictl(['lab', 'up'], { env: { NO_COLOR: '1', VITICTL_LAB_DIR: dir } });
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        await eventually(async () => (stderr.includes(stage) ? true : undefined), 120_000, stage);
        child.kill(signal);
        const ended = await child;
        expect(ended.exitCode, stderr).toBe(code);
        expect(stderr.trimEnd().split('\n').pop()).toMatch(
          /^error: interrupted: lab up stopped what it had started \(\d of its components\); no lab is running$/,
        );
        expect(processesIn(dir)).toEqual([]);
        expect(existsSync(dir)).toBe(false);
        expect(existsSync(`${dir}.lock`)).toBe(false);
      } finally {
        await labDown(dir);
        await rm(join(dir, '..'), { recursive: true, force: true });
      }
    }
  }, 300_000);
});
