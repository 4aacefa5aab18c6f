import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl } from '../helpers/lab.js';

const NS = 'it-lifecycle';
const LABEL = 'vitictl.io/run-id=it-lifecycle';

interface Machine {
  metadata: {
    name: string;
    generation: number;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  status?: { phase?: string; failureReason?: string };
}

async function getMachine(name: string): Promise<Machine | undefined> {
  const result = await kubectl(['get', 'machine', name, '-n', NS, '-o', 'json']);
  if (result.exitCode !== 0) {
    if (String(result.stderr).includes('NotFound')) return undefined;
    throw new Error(String(result.stderr));
  }
  return JSON.parse(String(result.stdout)) as Machine;
}

function machineYaml(name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: NS, labels: { 'vitictl.io/run-id': 'it-lifecycle' }, annotations },
    spec: { provider: 'kubevirt', memory: 1024 },
  });
}

async function createReady(name: string, annotations: Record<string, string> = {}): Promise<Machine> {
  const created = await kubectl(['create', '-f', '-'], machineYaml(name, annotations));
  expect(created.exitCode, String(created.stderr)).toBe(0);
  return eventually(
    async () => {
      const m = await getMachine(name);
      return m?.status?.phase === 'Running' && m.metadata.annotations?.['lab.vitictl.io/observed-generation']
        ? m
        : undefined;
    },
    30_000,
    `${name} Running`,
  );
}

const ms = (annotation: string | undefined) => Date.parse(annotation ?? 'NaN');

describe('the lab operator beyond create', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', NS]);
  });
  afterAll(async () => {
    // objects whose deprovisioning was made to fail keep the finalizer: release them by hand
    const left = await kubectl(['get', 'machines', '-n', NS, '-l', LABEL, '-o', 'name']);
    for (const name of String(left.stdout).split('\n').filter(Boolean)) {
      await kubectl(['patch', name, '-n', NS, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    await kubectl(['delete', 'machines', '-n', NS, '-l', LABEL, '--wait=false']);
    await kubectl(['delete', 'namespace', NS, '--wait=false']);
  });

  it('re-provisions on a spec change and reports the generation it reconciled', async () => {
    const before = await createReady('upd-1');
    expect(before.metadata.annotations?.['lab.vitictl.io/observed-generation']).toBe('1');
    const patched = await kubectl([
      'patch',
      'machine',
      'upd-1',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"memory":2048}}',
      '-o',
      'json',
    ]);
    expect(patched.exitCode, String(patched.stderr)).toBe(0);
    const generation = (JSON.parse(String(patched.stdout)) as Machine).metadata.generation;
    expect(generation).toBe(2);
    const after = await eventually(
      async () => {
        const m = await getMachine('upd-1');
        return m?.status?.phase === 'Running' &&
          m.metadata.annotations?.['lab.vitictl.io/observed-generation'] === '2'
          ? m
          : undefined;
      },
      30_000,
      'generation 2 reconciled',
    );
    const a = after.metadata.annotations!;
    expect(a['lab.vitictl.io/ready-at']).toBe(before.metadata.annotations?.['lab.vitictl.io/ready-at']);
    // left ready, then ready again after at least the lab's 20 ms provisioning time
    expect(
      ms(a['lab.vitictl.io/reconciled-at']) - ms(a['lab.vitictl.io/reprovisioning-at']),
    ).toBeGreaterThanOrEqual(20);
    expect(ms(a['lab.vitictl.io/reprovisioning-at'])).toBeGreaterThan(ms(a['lab.vitictl.io/ready-at']));
  });

  it('holds the finalizer for the deprovisioning time in the deprovisioning phase', async () => {
    await createReady('del-1', { 'lab.vitictl.io/deprovision-time': '1500ms' });
    const deleted = await kubectl(['delete', 'machine', 'del-1', '-n', NS, '--wait=false']);
    expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
    const terminating = await eventually(
      async () => {
        const m = await getMachine('del-1');
        return m?.status?.phase === 'Terminating' ? m : undefined;
      },
      10_000,
      'phase Terminating',
    );
    const a = terminating.metadata.annotations!;
    expect(ms(a['lab.vitictl.io/deprovision-until']) - ms(a['lab.vitictl.io/deprovisioning-at'])).toBe(1500);
    const started = Date.now();
    await eventually(async () => ((await getMachine('del-1')) ? undefined : true), 15_000, 'del-1 gone');
    expect(Date.now() - started).toBeGreaterThan(500);
  });

  it('keeps the finalizer of a deprovisioning made to fail, with the reason', async () => {
    await createReady('del-fail', { 'lab.vitictl.io/inject-delete-failure': 'volume stuck' });
    await kubectl(['delete', 'machine', 'del-fail', '-n', NS, '--wait=false']);
    const failed = await eventually(
      async () => {
        const m = await getMachine('del-fail');
        return m?.status?.phase === 'Failed' ? m : undefined;
      },
      10_000,
      'phase Failed',
    );
    expect(failed.status?.failureReason).toBe('SimulatedDeprovisioningFailure');
    expect(failed.metadata.finalizers).toContain('lab.vitictl.io/reference-operator');
  });
});
