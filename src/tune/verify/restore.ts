import { z } from 'zod';
import { runtimeError } from '../../errors.js';
import { type KubeRest, statusMessage } from '../../kube/rest.js';

/**
 * Putting a ConfigMap back exactly as verify found it: the same data, binaryData, labels and
 * annotations (a replace, so keys verify added go too), or no ConfigMap at all when there was none.
 * Only what verify itself wrote is touched: every write is conditional on the resourceVersion (or
 * uid) verify's own apply returned, so a change someone else made in between is never overwritten.
 */

const configMapSchema = z.object({
  metadata: z.object({
    name: z.string(),
    namespace: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  data: z.record(z.string(), z.string()).optional(),
  binaryData: z.record(z.string(), z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type LiveConfigMap = z.infer<typeof configMapSchema>;

export type ConfigMapSnapshot =
  | { existed: false; namespace: string; name: string }
  | { existed: true; namespace: string; name: string; object: LiveConfigMap };

/** What verify's own apply left: the object's identity and version right after the write. */
export interface AppliedConfigMap {
  uid: string;
  resourceVersion: string;
}

export type RestoreAction =
  | { kind: 'delete'; path: string; body: Record<string, unknown> }
  | { kind: 'replace'; path: string; body: Record<string, unknown> };

export const configMapPath = (namespace: string, name: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;

export function parseConfigMap(body: unknown, where: string): LiveConfigMap {
  const parsed = configMapSchema.safeParse(body);
  if (!parsed.success)
    throw runtimeError(`${where}: the API server returned something that is not a ConfigMap`);
  return parsed.data;
}

export async function snapshotConfigMap(
  rest: KubeRest,
  namespace: string,
  name: string,
): Promise<ConfigMapSnapshot> {
  const response = await rest.request('GET', configMapPath(namespace, name));
  if (response.status === 404) return { existed: false, namespace, name };
  if (response.status !== 200)
    throw runtimeError(`reading ConfigMap ${namespace}/${name} failed: ${statusMessage(response)}`, {
      hint: response.status === 403 ? 'verify needs get, patch, update and delete on configmaps' : undefined,
    });
  return { existed: true, namespace, name, object: parseConfigMap(response.body, `${namespace}/${name}`) };
}

/** The one write that puts the snapshot back, conditional on verify's own write being the last. Pure. */
export function restorePlan(snapshot: ConfigMapSnapshot, applied: AppliedConfigMap): RestoreAction {
  const path = configMapPath(snapshot.namespace, snapshot.name);
  if (!snapshot.existed) {
    return {
      kind: 'delete',
      path,
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { uid: applied.uid, resourceVersion: applied.resourceVersion },
      },
    };
  }
  const { metadata, data, binaryData, immutable } = snapshot.object;
  return {
    kind: 'replace',
    path,
    body: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: metadata.name,
        namespace: metadata.namespace,
        resourceVersion: applied.resourceVersion,
        ...(metadata.labels ? { labels: metadata.labels } : {}),
        ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
      },
      ...(data ? { data } : {}),
      ...(binaryData ? { binaryData } : {}),
      ...(immutable === undefined ? {} : { immutable }),
    },
  };
}

/** Execute the plan. Returns what was done; throws (exit 1) when the ConfigMap changed under verify. */
export async function restoreConfigMap(
  rest: KubeRest,
  snapshot: ConfigMapSnapshot,
  applied: AppliedConfigMap,
): Promise<'replaced' | 'deleted'> {
  const action = restorePlan(snapshot, applied);
  const where = `${snapshot.namespace}/${snapshot.name}`;
  const response = await rest.request(action.kind === 'delete' ? 'DELETE' : 'PUT', action.path, {
    body: action.body,
  });
  if (action.kind === 'delete' && response.status === 404) return 'deleted';
  if (response.status === 200 || response.status === 202)
    return action.kind === 'delete' ? 'deleted' : 'replaced';
  const changed = response.status === 409;
  throw runtimeError(`restoring ConfigMap ${where} failed (${response.status}): ${statusMessage(response)}`, {
    hint: changed
      ? 'someone changed it after verify applied the recommendation: verify left it as it is now; compare it with verify.json'
      : response.status === 403
        ? 'verify needs update and delete on configmaps'
        : undefined,
  });
}
