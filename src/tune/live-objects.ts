import { z } from 'zod';
import { runtimeError } from '../errors.js';
import type { KubeRest } from '../kube/rest.js';
import { statusMessage } from '../kube/rest.js';
import type { SetResult } from '../report/run-result.js';

/** A LIST of one item: the server says how many more there are (remainingItemCount) without sending them. */
const listHead = z.object({
  items: z.array(z.unknown()),
  metadata: z.object({ remainingItemCount: z.number().int().optional(), continue: z.string().optional() }),
});

function listPath(set: Pick<SetResult, 'apiVersion' | 'plural'>): string {
  const base = set.apiVersion.includes('/') ? `/apis/${set.apiVersion}` : `/api/${set.apiVersion}`;
  return `${base}/${encodeURIComponent(set.plural)}?limit=1`;
}

/**
 * How many objects of the run's kinds the cluster holds now, all namespaces: what the controller's
 * informers cache. One LIST of one item per kind.
 */
export async function countLiveObjects(
  rest: KubeRest,
  sets: ReadonlyArray<Pick<SetResult, 'apiVersion' | 'plural'>>,
): Promise<number> {
  const kinds = new Map(sets.map((set) => [`${set.apiVersion}/${set.plural}`, set]));
  let total = 0;
  for (const set of kinds.values()) {
    const response = await rest.request('GET', listPath(set));
    if (response.status !== 200)
      throw runtimeError(`counting ${set.plural} failed: ${statusMessage(response)}`, {
        hint: 'pass --objects N to size for N objects without asking the cluster',
      });
    const head = listHead.safeParse(response.body);
    if (!head.success) throw runtimeError(`counting ${set.plural}: the API server's answer is not a list`);
    // with no remainingItemCount and a continue token the count is unknown: a lower bound is all we have
    total += head.data.items.length + (head.data.metadata.remainingItemCount ?? 0);
  }
  return total;
}
