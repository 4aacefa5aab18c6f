import { usageError } from '../errors.js';
import { SHARD_LABEL } from '../kube/labels.js';
import { maxOf } from '../util/extremes.js';
import { type KubeObject, objectsOf, type PlannedSet, type ScenarioPlan, scaleCounts } from './expand.js';

/**
 * Splitting one run over N load generators (`--shard i/N`, i from 0 as in an Indexed Job's
 * JOB_COMPLETION_INDEX). Shards own whole namespaces (namespace slot j belongs to shard j mod N), so
 * each shard creates, watches and deletes only its own namespaces and objects; cluster-scoped objects
 * go by index mod N. Every object keeps the name it has in the unsharded run, and carries a
 * vitictl.io/shard label so that a shard's watch and cleanup never touch another shard's objects.
 */

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw usageError(
      `--shard must be i/N with 0 ≤ i < N (got "${text}")`,
      'shards count from 0, like an Indexed Job: --shard 0/3, --shard 1/3, --shard 2/3',
    );
  }
  return { index, count };
}

export const shardLabelValue = (shard: Shard) => `${shard.index}-of-${shard.count}`;

/** Does object `index` of `set` belong to `shard`? */
function owns(plan: ScenarioPlan, set: PlannedSet, index: number, shard: Shard): boolean {
  const slot = set.scope === 'Namespaced' ? index % plan.namespaceSlots : index;
  return slot % shard.count === shard.index;
}

function withShardLabel(object: KubeObject, value: string): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata.labels, [SHARD_LABEL]: value } },
  };
}

/** The part of `plan` that `shard` creates: the same objects, fewer of them. */
export function shardPlan(plan: ScenarioPlan, shard: Shard): ScenarioPlan {
  // one shard is the whole run, still marked as a shard so that report merge and perf collect take it
  if (shard.count === 1)
    return { ...plan, shard: { index: 0, count: 1, scenarioObjects: plan.totalObjects } };
  const namespaced = plan.sets.filter((set) => set.scope === 'Namespaced' && set.count > 0);
  const largest = Math.max(0, maxOf(namespaced.map((set) => set.count)));
  if (largest >= shard.count && plan.namespaceSlots < shard.count) {
    throw usageError(
      `${shard.count} shards need at least ${shard.count} namespaces (shards own whole namespaces); the scenario has ${plan.namespaceSlots}`,
      `raise the namespace count, e.g. --namespaces ${shard.count}`,
    );
  }
  const label = shardLabelValue(shard);
  const sets = plan.sets.map((set): PlannedSet => {
    const owned: number[] = [];
    for (let index = 0; index < set.count; index++) if (owns(plan, set, index, shard)) owned.push(index);
    return {
      ...set,
      count: owned.length,
      object: (local) => withShardLabel(set.object(owned[local]!), label),
    };
  });
  const totalObjects = sets.reduce((sum, set) => sum + set.count, 0);
  if (totalObjects === 0) {
    throw usageError(
      `shard ${shard.index}/${shard.count} has no objects: the scenario has ${plan.totalObjects} for ${shard.count} shards`,
      'use fewer shards, or more objects (--count)',
    );
  }
  const namespaces = plan.namespaces.filter((_, slot) => slot % shard.count === shard.index);
  const mine = new Set(namespaces);
  return {
    ...plan,
    namespaces,
    createNamespaces: plan.createNamespaces && namespaces.length > 0,
    labelSelector: `${plan.labelSelector},${SHARD_LABEL}=${label}`,
    shard: { index: shard.index, count: shard.count, scenarioObjects: plan.totalObjects },
    sets,
    totalObjects,
    namespaceObjects: () =>
      plan
        .namespaceObjects()
        .filter((namespace) => mine.has(namespace.metadata.name))
        .map((namespace) => withShardLabel(namespace, label)),
    objects: () => objectsOf(sets),
  };
}

/** This shard's part of an integer total (largest remainder over the shards' object counts). */
export function shareOf(total: number, plan: ScenarioPlan): number {
  if (!plan.shard) return total;
  return Math.max(1, Math.round((total * plan.totalObjects) / plan.shard.scenarioObjects));
}

/** This shard's part of a rate: proportional to its objects, so that all shards finish together. */
export function rateShare(rate: number, plan: ScenarioPlan): number {
  if (!plan.shard) return rate;
  return (rate * plan.totalObjects) / plan.shard.scenarioObjects;
}

/** Split an integer (requests, connections) evenly over N shards: exact, the remainder to the first. */
export function evenSplit(total: number, shard: Shard): number {
  return scaleCounts(new Array<number>(shard.count).fill(1), total)[shard.index] ?? 0;
}
