import { runtimeError } from '../errors.js';
import type { KubeRest } from '../kube/rest.js';
import { statusMessage } from '../kube/rest.js';
import { CONFIG_KEY } from './configmap.js';

export interface ConfigDiff {
  exists: boolean;
  removed: string[];
  added: string[];
}

/** Line diff of performance.yaml: live ConfigMap vs the one about to be applied. */
export async function diffLive(
  rest: KubeRest,
  namespace: string,
  name: string,
  next: string,
): Promise<ConfigDiff> {
  const response = await rest.request(
    'GET',
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
  );
  if (response.status === 404) return { exists: false, removed: [], added: next.split('\n').filter(Boolean) };
  if (response.status !== 200)
    throw runtimeError(`reading ConfigMap ${namespace}/${name} failed: ${statusMessage(response)}`);
  const live = (response.body as { data?: Record<string, string> }).data?.[CONFIG_KEY] ?? '';
  const liveLines = live.split('\n').filter(Boolean);
  const nextLines = next.split('\n').filter(Boolean);
  return {
    exists: true,
    removed: liveLines.filter((line) => !nextLines.includes(line)),
    added: nextLines.filter((line) => !liveLines.includes(line)),
  };
}

/**
 * Server-side apply with field manager `vitictl` (dryRun: the server validates and stores nothing).
 * Returns the stored object's uid and resourceVersion (what a later conditional write names).
 */
export async function serverSideApply(
  rest: KubeRest,
  object: { metadata: { name: string; namespace: string } },
  dryRun: boolean,
): Promise<{ uid: string; resourceVersion: string }> {
  const path =
    `/api/v1/namespaces/${encodeURIComponent(object.metadata.namespace)}/configmaps/${encodeURIComponent(object.metadata.name)}` +
    `?fieldManager=vitictl&force=true${dryRun ? '&dryRun=All' : ''}`;
  const response = await rest.request('PATCH', path, {
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
  if (response.status !== 200 && response.status !== 201) {
    throw runtimeError(
      `server-side apply of ConfigMap ${object.metadata.namespace}/${object.metadata.name} failed (${response.status}): ${statusMessage(response)}`,
      {
        hint:
          response.status === 403
            ? 'the user needs patch (and create) on configmaps in that namespace'
            : undefined,
      },
    );
  }
  const metadata = (response.body as { metadata?: { uid?: unknown; resourceVersion?: unknown } } | null)
    ?.metadata;
  return {
    uid: typeof metadata?.uid === 'string' ? metadata.uid : '',
    resourceVersion: typeof metadata?.resourceVersion === 'string' ? metadata.resourceVersion : '',
  };
}

export async function readLivePerformanceYaml(
  rest: KubeRest,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  const response = await rest.request(
    'GET',
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
  );
  if (response.status !== 200) return undefined;
  return (response.body as { data?: Record<string, string> }).data?.[CONFIG_KEY];
}
