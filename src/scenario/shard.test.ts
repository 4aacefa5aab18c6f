import { describe, expect, it } from 'vitest';
import { parseScenario } from '../config/load-scenario.js';
import { VitictlError } from '../errors.js';
import { RUN_ID_LABEL, SHARD_LABEL } from '../kube/labels.js';
import { CrdRegistry } from './crd.js';
import { expandScenario, type ScenarioPlan } from './expand.js';
import { evenSplit, parseShard, rateShare, shardPlan, shareOf } from './shard.js';

const scenario = (namespaces: number) => `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: split}
spec:
  seed: 3
  namespaces: {count: ${namespaces}}
  objects:
    - name: providers
      apiVersion: vitistack.io/v1alpha1
      kind: MachineProvider
      count: 2
      fixedCount: true
      nameTemplate: p-{{index}}
      template:
        spec: {displayName: p, providerType: aws, region: r, authentication: {type: token}}
    - name: machines
      apiVersion: vitistack.io/v1alpha1
      kind: Machine
      count: 100
      dependsOn: [providers]
      nameTemplate: m-{{index}}
      vars:
        provider: {ref: providers}
        size: {int: {min: 10, max: 100, step: 10}}
      template:
        spec: {providerConfig: {name: "{{provider}}"}, disks: [{sizeGB: "{{size}}"}]}
`;

async function whole(namespaces = 10, count = 100): Promise<ScenarioPlan> {
  return expandScenario(parseScenario('s.yaml', scenario(namespaces)), {
    registry: await CrdRegistry.create([]),
    runId: 'run-7',
    count,
  });
}

const key = (object: { kind: string; metadata: { namespace?: string; name: string } }) =>
  `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

function withoutShardLabel(object: { metadata: { labels: Record<string, string> } }) {
  const { [SHARD_LABEL]: _shard, ...labels } = object.metadata.labels;
  return { ...object, metadata: { ...object.metadata, labels } };
}

describe('--shard i/N', () => {
  it('parses i/N from 0, like an Indexed Job', () => {
    expect(parseShard('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(' 2/3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', '-1/2', 'a/b', '1', '1/2/3']) {
      expect(() => parseShard(bad), bad).toThrowError(/--shard must be i\/N with 0 ≤ i < N/);
    }
  });

  it('splits the scenario into disjoint shards whose union is the whole, object for object', async () => {
    const plan = await whole();
    const wholeObjects = new Map([...plan.objects()].map(({ object }) => [key(object), object]));
    const seen = new Map<string, number>();
    let total = 0;
    for (let index = 0; index < 3; index++) {
      const shard = shardPlan(plan, { index, count: 3 });
      total += shard.totalObjects;
      expect(shard.shard).toEqual({ index, count: 3, scenarioObjects: plan.totalObjects });
      for (const { object } of shard.objects()) {
        expect(object.metadata.labels[SHARD_LABEL]).toBe(`${index}-of-3`);
        expect(object.metadata.labels[RUN_ID_LABEL]).toBe('run-7');
        // the same object the unsharded run creates, name, namespace, body and all
        expect(withoutShardLabel(object)).toEqual(wholeObjects.get(key(object)));
        seen.set(key(object), (seen.get(key(object)) ?? 0) + 1);
        if (object.metadata.namespace) expect(shard.namespaces).toContain(object.metadata.namespace);
      }
    }
    expect(total).toBe(plan.totalObjects);
    expect([...seen.keys()].sort()).toEqual([...wholeObjects.keys()].sort());
    expect(Math.max(...seen.values())).toBe(1);
  });

  it('gives each shard whole namespaces, each namespace to exactly one shard', async () => {
    const plan = await whole(10);
    const shards = [0, 1, 2].map((index) => shardPlan(plan, { index, count: 3 }));
    expect(shards.map((shard) => shard.namespaces.length)).toEqual([4, 3, 3]);
    expect(shards.flatMap((shard) => shard.namespaces).sort()).toEqual([...plan.namespaces].sort());
    const created = shards[1]!.namespaceObjects();
    expect(created.map((ns) => ns.metadata.name)).toEqual(shards[1]!.namespaces);
    expect(created[0]!.metadata.labels[SHARD_LABEL]).toBe('1-of-3');
    expect(shards[1]!.labelSelector).toBe(`${RUN_ID_LABEL}=run-7,${SHARD_LABEL}=1-of-3`);
  });

  it('splits rates and in-flight limits in proportion to the objects, so shards finish together', async () => {
    const plan = await whole(10, 100);
    const shards = [0, 1, 2].map((index) => shardPlan(plan, { index, count: 3 }));
    const objects = shards.map((shard) => shard.totalObjects);
    expect(objects.reduce((a, b) => a + b)).toBe(102);
    const rates = shards.map((shard) => rateShare(300, shard));
    expect(rates.reduce((a, b) => a + b)).toBeCloseTo(300, 9);
    shards.forEach((shard, i) => {
      expect(rates[i]! / objects[i]!).toBeCloseTo(300 / 102, 9);
      expect(shareOf(1, shard)).toBe(1);
    });
    expect(rateShare(300, plan)).toBe(300);
    expect([0, 1, 2].map((index) => evenSplit(10, { index, count: 3 }))).toEqual([4, 3, 3]);
  });

  it('treats one shard as the whole run, marked as a shard', async () => {
    const plan = await whole();
    const one = shardPlan(plan, { index: 0, count: 1 });
    expect(one.shard).toEqual({ index: 0, count: 1, scenarioObjects: plan.totalObjects });
    expect(one.totalObjects).toBe(plan.totalObjects);
    expect(one.labelSelector).toBe(plan.labelSelector);
  });

  it('refuses more shards than namespaces, and shards with nothing to do', async () => {
    const plan = await whole(2);
    expect(() => shardPlan(plan, { index: 0, count: 3 })).toThrowError(
      /3 shards need at least 3 namespaces \(shards own whole namespaces\); the scenario has 2/,
    );
    const tiny = await whole(10, 1);
    try {
      shardPlan(tiny, { index: 5, count: 8 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(VitictlError);
      expect((error as VitictlError).message).toBe(
        'shard 5/8 has no objects: the scenario has 3 for 8 shards',
      );
    }
  });
});
