import { describe, expect, it } from 'vitest';
import { cleanupRun } from '../../src/kube/cleanup.js';
import { connect } from '../../src/kube/connect.js';
import { discoverKinds } from '../../src/kube/discovery.js';
import { RUN_ID_LABEL } from '../../src/kube/labels.js';
import { KubeRest } from '../../src/kube/rest.js';
import { eventually, kubectl, lab } from '../helpers/lab.js';

/** Apply manifests (JSON documents, one per line is fine for kubectl) and fail loudly when refused. */
async function apply(...objects: Array<Record<string, unknown>>): Promise<void> {
  const result = await kubectl(['apply', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
  expect(result.exitCode, String(result.stderr)).toBe(0);
}

/** True when `kubectl get` says NotFound; any other failure is thrown. */
async function gone(args: string[]): Promise<boolean> {
  const result = await kubectl(['get', ...args, '-o', 'name']);
  if (result.exitCode === 0) return false;
  if (/NotFound|not found/.test(String(result.stderr))) return true;
  throw new Error(`kubectl get ${args.join(' ')}: ${String(result.stderr)}`);
}

const namespace = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, ...extra },
});
const configMap = (ns: string, name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...metadata },
  data: { k: 'v' },
});
const machine = (ns: string, name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'vitistack.io/v1alpha1',
  kind: 'Machine',
  metadata: { name, namespace: ns, ...metadata },
  spec: { provider: 'kubevirt', memory: 1024 },
});

async function withRest<T>(work: (rest: KubeRest) => Promise<T>): Promise<T> {
  const rest = await KubeRest.create(await connect({ kubeconfig: lab().kubeconfig }));
  try {
    return await work(rest);
  } finally {
    await rest.close();
  }
}

describe('kube-controller-manager in the lab', () => {
  it('removes a deleted namespace and everything in it (namespace controller)', async () => {
    await apply(namespace('kcm-ns'), configMap('kcm-ns', 'inside'), machine('kcm-ns', 'inside'));
    const deleted = await kubectl(['delete', 'namespace', 'kcm-ns', '--wait=false']);
    expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
    await eventually(
      async () => ((await gone(['namespace', 'kcm-ns'])) ? true : undefined),
      60_000,
      'namespace kcm-ns to be gone',
    );
    // recreated empty: nothing of the old namespace survived in storage
    await apply(namespace('kcm-ns'));
    expect(await gone(['configmap', 'inside', '-n', 'kcm-ns'])).toBe(true);
    expect(await gone(['machine', 'inside', '-n', 'kcm-ns'])).toBe(true);
    await kubectl(['delete', 'namespace', 'kcm-ns', '--wait=false']);
  });

  it('garbage-collects objects whose owner was deleted, built-in and custom kinds alike', async () => {
    await apply(configMap('default', 'kcm-owner'));
    const uid = String(
      (await kubectl(['get', 'configmap', 'kcm-owner', '-o', 'jsonpath={.metadata.uid}'])).stdout,
    );
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    const ownedBy = { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'kcm-owner', uid }] };
    await apply(configMap('default', 'kcm-dependent', ownedBy), machine('default', 'kcm-dependent', ownedBy));
    expect(await gone(['configmap', 'kcm-dependent'])).toBe(false);
    const deleted = await kubectl(['delete', 'configmap', 'kcm-owner']);
    expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
    await eventually(
      async () =>
        (await gone(['configmap', 'kcm-dependent'])) && (await gone(['machine', 'kcm-dependent']))
          ? true
          : undefined,
      60_000,
      'the dependents of the deleted owner to be collected',
    );
  });

  it("cleanup waits for the run's namespaces and records how long they took to go", async () => {
    const labels = { labels: { [RUN_ID_LABEL]: 'it-kcm-ns' } };
    await apply(
      namespace('kcm-run-a', labels),
      namespace('kcm-run-b', labels),
      machine('kcm-run-a', 'm', labels),
      configMap('kcm-run-b', 'unlabelled'),
    );
    const result = await withRest(async (rest) =>
      cleanupRun(rest, {
        runId: 'it-kcm-ns',
        resources: [
          ...(await discoverKinds(rest, [{ apiVersion: 'vitistack.io/v1alpha1', kind: 'Machine' }])).values(),
        ],
        namespaces: ['kcm-run-a', 'kcm-run-b'],
        createdNamespaces: ['kcm-run-a', 'kcm-run-b'],
        waitMs: 60_000,
      }),
    );
    expect(result).toMatchObject({ deleted: 1, leftBehind: [], problems: [] });
    // the namespaces are deleted concurrently: in the order their DELETEs were answered
    expect([...result.namespacesDeleted].sort()).toEqual(['kcm-run-a', 'kcm-run-b']);
    expect(result.namespacesWait?.timedOut).toBe(false);
    expect(result.namespacesWait?.seconds).toBeGreaterThan(0);
    expect(result.namespacesWait?.seconds).toBeLessThan(60);
    expect(result.note).toBeUndefined();
    expect(await gone(['namespace', 'kcm-run-a'])).toBe(true);
    expect(await gone(['namespace', 'kcm-run-b'])).toBe(true);
  });

  it('cleanup stops waiting for a namespace that stays Terminating, and names it', async () => {
    const hold = 'vitictl.io/it-hold';
    await apply(namespace('kcm-held', { labels: { [RUN_ID_LABEL]: 'it-kcm-held' }, finalizers: [hold] }));
    try {
      const result = await withRest((rest) =>
        cleanupRun(rest, {
          runId: 'it-kcm-held',
          resources: [],
          createdNamespaces: ['kcm-held'],
          waitMs: 1500,
        }),
      );
      expect(result.namespacesDeleted).toEqual(['kcm-held']);
      expect(result.namespacesWait?.timedOut).toBe(true);
      expect(result.namespacesWait?.seconds).toBeGreaterThanOrEqual(1.5);
      expect(result.leftBehind).toEqual(['namespaces/kcm-held']);
      expect(result.leftBehindCount).toBe(1);
      expect(result.note).toMatch(/^1 of 1 namespaces still there \(Terminating\) after \d+ s; /);
      expect(await gone(['namespace', 'kcm-held'])).toBe(false);
    } finally {
      await kubectl([
        'patch',
        'namespace',
        'kcm-held',
        '--type',
        'merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    }
    await eventually(
      async () => ((await gone(['namespace', 'kcm-held'])) ? true : undefined),
      60_000,
      'namespace kcm-held to go once its finalizer is removed',
    );
  });
});
