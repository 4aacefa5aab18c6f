import { describe, expect, it } from 'vitest';
import { parseScenario } from '../config/load-scenario.js';
import { VitictlError } from '../errors.js';
import { RUN_ID_LABEL, SET_LABEL } from '../kube/labels.js';
import { CrdRegistry } from './crd.js';
import { expandScenario, scaleCounts } from './expand.js';

const scenario = `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: mix}
spec:
  seed: 9
  namespaces: {count: 3}
  objects:
    - name: machines
      apiVersion: vitistack.io/v1alpha1
      kind: Machine
      count: 10
      dependsOn: [providers]
      nameTemplate: m-{{index | pad 3}}
      vars:
        provider: {ref: providers}
        size: {int: {min: 10, max: 100, step: 10}}
        type: {choice: [{value: small, weight: 1}, {value: large, weight: 1}]}
      template:
        spec: {providerConfig: {name: "{{provider}}"}, disks: [{sizeGB: "{{size}}"}], instanceType: "{{type}}"}
    - name: providers
      apiVersion: vitistack.io/v1alpha1
      kind: MachineProvider
      count: 2
      fixedCount: true
      nameTemplate: p-{{runId}}-{{index}}
      template:
        spec: {displayName: p, providerType: aws, region: r, authentication: {type: token}}
`;

async function plan(options: { count?: number; seed?: number; runId?: string; namespaces?: number } = {}) {
  const registry = await CrdRegistry.create([]);
  return expandScenario(parseScenario('s.yaml', scenario), {
    registry,
    runId: options.runId ?? 'run1',
    ...options,
  });
}

describe('expanding a scenario', () => {
  it('orders sets by dependency and spreads namespaced objects round-robin', async () => {
    const p = await plan();
    expect(p.sets.map((set) => set.spec.name)).toEqual(['providers', 'machines']);
    expect(p.namespaces).toEqual(['vitictl-run1-0', 'vitictl-run1-1', 'vitictl-run1-2']);
    const objects = [...p.objects()].map(({ object }) => object);
    expect(objects[0]?.metadata).toEqual({
      name: 'p-run1-0',
      labels: { [RUN_ID_LABEL]: 'run1', 'vitictl.io/scenario': 'mix', [SET_LABEL]: 'providers' },
    });
    const machines = objects.filter((object) => object.kind === 'Machine');
    expect(machines.map((m) => m.metadata.namespace)).toEqual(
      [0, 1, 2, 0, 1, 2, 0, 1, 2, 0].map((i) => `vitictl-run1-${i}`),
    );
    expect(
      machines.map((m) => (m.spec as { providerConfig: { name: string } }).providerConfig.name).slice(0, 3),
    ).toEqual(['p-run1-0', 'p-run1-1', 'p-run1-0']);
    for (const machine of machines) {
      const size = (machine.spec as { disks: Array<{ sizeGB: number }> }).disks[0]?.sizeGB;
      expect(size).toBeTypeOf('number');
      expect((size as number) % 10).toBe(0);
    }
  });

  it('is deterministic per seed, and an object does not depend on the others', async () => {
    const first = JSON.stringify([...(await plan()).objects()].map((o) => o.object));
    const again = JSON.stringify([...(await plan()).objects()].map((o) => o.object));
    const other = JSON.stringify([...(await plan({ seed: 10 })).objects()].map((o) => o.object));
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    const small = await plan({ count: 10 });
    const large = await plan({ count: 1000 });
    const machines = (p: typeof small) => p.sets.find((set) => set.spec.name === 'machines');
    expect(machines(large)?.object(7)).toEqual(machines(small)?.object(7));
  });

  it('scales only sets without fixedCount, giving unique names', async () => {
    const p = await plan({ count: 1000 });
    expect(p.sets.map((set) => set.count)).toEqual([2, 1000]);
    const names = new Set(
      [...p.objects()].map(({ object }) => `${object.metadata.namespace}/${object.metadata.name}`),
    );
    expect(names.size).toBe(1002);
  });

  it('refuses more objects or namespaces than its bounds, at once', async () => {
    const started = performance.now();
    await expect(plan({ count: 1_000_000_000_000 })).rejects.toThrow(
      /1,000,000,000,002 objects: a scenario makes at most 10,000,000/,
    );
    await expect(plan({ namespaces: 1e9 })).rejects.toThrow(/vitictl spreads objects over at most 100,000/);
    const fromFile = scenario.replace('count: 2\n', 'count: 20000000\n');
    await expect(
      (async () =>
        expandScenario(parseScenario('s.yaml', fromFile), {
          registry: await CrdRegistry.create([]),
          runId: 'run1',
        }))(),
    ).rejects.toMatchObject({ kind: 'input', location: { file: 's.yaml' } });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('creates only the namespaces that receive objects', async () => {
    const p = await plan({ count: 2 });
    expect(p.namespaces).toEqual(['vitictl-run1-0', 'vitictl-run1-1']);
    expect(p.namespaceObjects().map((ns) => ns.metadata.name)).toEqual(p.namespaces);
  });

  it('rejects a run id that cannot be a label value', async () => {
    await expect(plan({ runId: 'Not OK!' })).rejects.toThrow(VitictlError);
  });

  it('needs a scope when no CRD is known for the kind', async () => {
    const registry = await CrdRegistry.create([]);
    const text = scenario.replace('kind: Machine', 'kind: Gizmo');
    expect(() => expandScenario(parseScenario('s.yaml', text), { registry, runId: 'r' })).toThrow(
      /no CRD known for Gizmo \(vitistack.io\/v1alpha1\) and no scope given/,
    );
  });

  it.each([
    [[3, 1], 8, [6, 2]],
    [[1, 1, 1], 2, [1, 1, 0]],
    [[5], 0, [0]],
  ])('scaleCounts(%j, %i) = %j', (weights, total, expected) => {
    expect(scaleCounts(weights, total)).toEqual(expected);
  });
});
