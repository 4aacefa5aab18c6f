import { inputError, runtimeError, usageError } from '../errors.js';
import {
  type AccessCheck,
  type ApiResource,
  canI,
  discoverKinds,
  resourcePath,
  serverVersion,
} from './discovery.js';
import type { KubeRest } from './rest.js';
import { newRetryCounters, requestWithRetry } from './retry.js';

export interface PreflightInput {
  kinds: Array<{ apiVersion: string; kind: string }>;
  /** namespaces the run uses (namespaced kinds); the first is used for RBAC checks */
  namespaces: string[];
  createNamespaces: boolean;
  cleanup: boolean;
  /** the run's own label selector (its run id, and its shard): objects that match it must not exist yet */
  run: { id: string; labelSelector: string; reuse: boolean };
}

export interface PreflightResult {
  serverVersion: string;
  resources: Map<string, ApiResource>;
  /** watch namespaced kinds cluster-wide (one watch) or per namespace (RBAC allows only that) */
  watchScope: 'cluster' | 'namespaces';
  checks: number;
}

/**
 * Before the first create: the API server answers, every kind is served, and RBAC allows what the run
 * will do. Every missing permission is listed in one error; nothing is created when this fails. An
 * interrupt (`signal`) ends it at once, whatever the server does.
 */
export async function preflight(
  rest: KubeRest,
  input: PreflightInput,
  signal?: AbortSignal,
): Promise<PreflightResult> {
  const version = await serverVersion(rest, undefined, signal);
  const resources = await discoverKinds(rest, input.kinds, undefined, signal);
  const namespace = input.namespaces[0];
  const denied: string[] = [];
  let checks = 0;
  const check = async (access: AccessCheck) => {
    checks++;
    const allowed = await canI(rest, access, signal);
    if (!allowed)
      denied.push(
        `${access.verb} ${access.group ? `${access.resource}.${access.group}` : access.resource}${access.namespace ? ` in ${access.namespace}` : ''}`,
      );
    return allowed;
  };
  let watchScope: PreflightResult['watchScope'] = 'cluster';
  const verbs = ['create', 'get', ...(input.cleanup ? ['delete'] : [])];
  for (const resource of resources.values()) {
    const ns = resource.namespaced ? namespace : undefined;
    for (const verb of verbs)
      await check({ group: resource.group, resource: resource.plural, verb, namespace: ns });
    if (resource.namespaced) {
      const clusterWide =
        (await canI(rest, { group: resource.group, resource: resource.plural, verb: 'watch' }, signal)) &&
        (await canI(rest, { group: resource.group, resource: resource.plural, verb: 'list' }, signal));
      checks += 2;
      if (!clusterWide) {
        watchScope = 'namespaces';
        for (const verb of ['list', 'watch'])
          await check({ group: resource.group, resource: resource.plural, verb, namespace: ns });
      }
    } else {
      for (const verb of ['list', 'watch'])
        await check({ group: resource.group, resource: resource.plural, verb });
    }
  }
  if (input.createNamespaces) {
    await check({ group: '', resource: 'namespaces', verb: 'create' });
    if (input.cleanup) await check({ group: '', resource: 'namespaces', verb: 'delete' });
  }
  if (denied.length > 0) {
    throw inputError(`RBAC denies what this run needs: ${denied.join(', ')}`, {
      hint: 'grant these verbs to the user or service account (kubectl auth can-i --list shows what it may do), or run with --keep to skip delete',
    });
  }
  if (!input.run.reuse) await refuseRunIdInUse(rest, input, resources, watchScope, signal);
  return { serverVersion: version, resources, watchScope, checks };
}

/**
 * A run id names what cleanup deletes: if objects already carry it, this run's cleanup would delete
 * another run's objects (and its creates would collide with them). Refused before anything is created.
 */
async function refuseRunIdInUse(
  rest: KubeRest,
  input: PreflightInput,
  resources: Map<string, ApiResource>,
  watchScope: PreflightResult['watchScope'],
  signal: AbortSignal | undefined,
): Promise<void> {
  const selector = encodeURIComponent(input.run.labelSelector);
  for (const resource of resources.values()) {
    const scopes = resource.namespaced && watchScope === 'namespaces' ? input.namespaces : [undefined];
    for (const namespace of scopes) {
      const answer = await requestWithRetry(
        rest,
        'GET',
        `${resourcePath(resource, namespace)}?labelSelector=${selector}&limit=1`,
        { timeoutMs: 30_000, ...(signal ? { signal } : {}) },
        { deadline: performance.now() + 30_000, counters: newRetryCounters(), initialBackoffMs: 250, signal },
      );
      const status = answer.ok ? answer.response.status : 0;
      if (!answer.ok || status !== 200) {
        throw runtimeError(
          `could not check whether run id "${input.run.id}" is in use: list ${resource.plural}: ${answer.ok ? `answered ${status}` : answer.reason}`,
        );
      }
      const response = answer.response;
      const item = (response.body as { items?: Array<{ metadata: { name: string; namespace?: string } }> })
        .items?.[0];
      if (item) {
        throw usageError(
          `run id "${input.run.id}" is in use: ${resource.plural}/${item.metadata.namespace ? `${item.metadata.namespace}/` : ''}${item.metadata.name} already carries ${input.run.labelSelector}`,
          `choose another --run-id; remove the old run with vitictl cleanup --run-id ${input.run.id}; or pass --reuse-run-id to add to it (its cleanup then deletes those objects too)`,
        );
      }
    }
  }
}
