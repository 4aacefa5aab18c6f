import { setTimeout as sleep } from 'node:timers/promises';
import type { CleanupResult } from '../report/run-result.js';
import { RUN_ID_LABEL } from '../scenario/expand.js';
import { isPlainObject } from '../scenario/json-schema.js';
import { SHARD_LABEL } from '../scenario/shard.js';
import { type ApiResource, resourcePath } from './discovery.js';
import { type KubeRest, NetworkError } from './rest.js';

export interface CleanupOptions {
  runId: string;
  /** a shard's vitictl.io/shard label value: only that shard's objects are deleted */
  shard?: string | undefined;
  /** in creation order; deleted in reverse */
  resources: ApiResource[];
  /** namespaces to search for namespaced kinds; undefined: cluster-wide */
  namespaces?: string[] | undefined;
  /** deleted last, and only because this run created them */
  createdNamespaces: string[];
  concurrency?: number;
  /** how long to wait for objects to disappear (finalizers) */
  waitMs?: number;
  /** objects per LIST page (default 500) */
  pageSize?: number;
  onProgress?: (line: string) => void;
}

type Listed = { namespace: string | undefined; name: string };

/**
 * Objects carrying the run's label, listed in pages (a 100k-object run must not become one response
 * held in memory), each page retried on 5xx and network failures. `max` stops early: the wait loop only
 * needs to know whether anything is left.
 */
async function listOurs(
  rest: KubeRest,
  resource: ApiResource,
  run: { runId: string; shard?: string | undefined },
  namespaces: Array<string | undefined>,
  pageSize: number,
  max = Number.POSITIVE_INFINITY,
): Promise<Listed[]> {
  const found: Listed[] = [];
  const selector = encodeURIComponent(
    `${RUN_ID_LABEL}=${run.runId}${run.shard ? `,${SHARD_LABEL}=${run.shard}` : ''}`,
  );
  for (const namespace of namespaces) {
    let token = '';
    do {
      const path = `${resourcePath(resource, namespace)}?labelSelector=${selector}&limit=${pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
      const response = await getPage(rest, path);
      if (response.status === 404) break;
      if (response.status !== 200 || !isPlainObject(response.body))
        throw new Error(`list ${resource.plural}: HTTP ${response.status}`);
      const body = response.body as {
        metadata?: { continue?: string };
        items?: Array<{ metadata: { name: string; namespace?: string; labels?: Record<string, string> } }>;
      };
      for (const item of body.items ?? []) {
        // the server filtered by label; check again so nothing else is ever deleted
        const labels = item.metadata.labels;
        if (labels?.[RUN_ID_LABEL] === run.runId && (!run.shard || labels[SHARD_LABEL] === run.shard))
          found.push({ namespace: item.metadata.namespace, name: item.metadata.name });
      }
      if (found.length >= max) return found;
      token = body.metadata?.continue ?? '';
    } while (token);
  }
  return found;
}

async function getPage(rest: KubeRest, path: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await rest.request('GET', path, { timeoutMs: 60_000 });
      if (response.status < 500 || attempt >= 4) return response;
    } catch (error) {
      if (!(error instanceof NetworkError) || attempt >= 4) throw error;
    }
    await sleep(250 * 2 ** attempt);
  }
}

/**
 * Delete what run `runId` created: objects carrying its vitictl.io/run-id label, kinds in reverse
 * creation order, a bounded number in flight, waiting until they are gone; then the namespaces this run
 * created. Nothing without the label is ever touched.
 */
export async function cleanupRun(rest: KubeRest, options: CleanupOptions): Promise<CleanupResult> {
  const started = performance.now();
  const result: CleanupResult = {
    deleted: 0,
    alreadyGone: 0,
    failed: 0,
    namespacesDeleted: [],
    leftBehind: [],
    seconds: 0,
  };
  const concurrency = options.concurrency ?? 16;
  const waitMs = options.waitMs ?? 120_000;
  const pageSize = options.pageSize ?? 500;
  const scopes = (resource: ApiResource): Array<string | undefined> =>
    resource.namespaced && options.namespaces && options.namespaces.length > 0
      ? options.namespaces
      : [undefined];
  const seen = new Set<string>();
  const resources = [...options.resources].reverse().filter((resource) => {
    const key = `${resource.apiVersion}/${resource.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  try {
    for (const resource of resources) {
      const targets = await listOurs(rest, resource, options, scopes(resource), pageSize);
      if (targets.length === 0) continue;
      options.onProgress?.(`deleting ${targets.length} ${resource.plural}`);
      let next = 0;
      const worker = async () => {
        while (next < targets.length) {
          const target = targets[next++]!;
          try {
            const response = await rest.request(
              'DELETE',
              resourcePath(resource, target.namespace, target.name),
              { timeoutMs: 60_000 },
            );
            if (response.status === 200 || response.status === 202) result.deleted++;
            else if (response.status === 404) result.alreadyGone++;
            else result.failed++;
          } catch (error) {
            if (!(error instanceof NetworkError)) throw error;
            result.failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
      const deadline = performance.now() + waitMs;
      for (;;) {
        const left = await listOurs(rest, resource, options, scopes(resource), pageSize, 1);
        if (left.length === 0) break;
        if (performance.now() > deadline) {
          // name at most a thousand of what is left: enough to act on, bounded in memory
          const names = await listOurs(rest, resource, options, scopes(resource), pageSize, 1000);
          result.leftBehind.push(
            ...names.map(
              (item) => `${resource.plural}/${item.namespace ? `${item.namespace}/` : ''}${item.name}`,
            ),
          );
          break;
        }
        await sleep(500);
      }
    }
    for (const namespace of options.createdNamespaces) {
      const response = await rest.request('DELETE', `/api/v1/namespaces/${encodeURIComponent(namespace)}`, {
        timeoutMs: 60_000,
      });
      if (response.status === 200 || response.status === 202 || response.status === 404)
        result.namespacesDeleted.push(namespace);
      else result.failed++;
    }
    if (result.namespacesDeleted.length > 0) {
      result.note =
        'namespace deletion requested; a cluster without the namespace controller (like the lab) leaves them Terminating';
    }
  } catch (error) {
    result.note = `cleanup stopped early: ${error instanceof NetworkError ? `${error.failure} (${error.code})` : String(error)}`;
    result.failed++;
  }
  result.seconds = +((performance.now() - started) / 1000).toFixed(3);
  return result;
}
