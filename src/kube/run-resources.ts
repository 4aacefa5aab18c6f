import { runtimeError } from '../errors.js';
import { type ApiResource, type DiscoveryRetry, getJson, splitApiVersion } from './discovery.js';
import type { KubeRest } from './rest.js';

interface GroupList {
  groups?: Array<{ preferredVersion?: { groupVersion: string } }>;
}
interface ResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }>;
}

/** A discovery document; anything but 200 means we cannot know what to clean up. */
async function discover(rest: KubeRest, path: string, retry: DiscoveryRetry | undefined): Promise<unknown> {
  const response = await getJson(rest, path, retry);
  if (response.status !== 200)
    throw runtimeError(`discovery GET ${rest.server}${path} answered ${response.status}`, {
      hint: 'name the scenario (vitictl cleanup SCENARIO --run-id …) to search only its kinds',
    });
  return response.body;
}

/**
 * Every resource type the server serves that can be listed and deleted (preferred versions only),
 * for cleaning up a run whose scenario is not at hand. Namespaces are left out: they are handled last.
 */
export async function deletableResources(rest: KubeRest, retry?: DiscoveryRetry): Promise<ApiResource[]> {
  const groupVersions = ['v1'];
  const groups = (await discover(rest, '/apis', retry)) as GroupList;
  for (const group of groups.groups ?? [])
    if (group.preferredVersion) groupVersions.push(group.preferredVersion.groupVersion);
  const resources: ApiResource[] = [];
  for (const apiVersion of groupVersions) {
    const list = (await discover(
      rest,
      apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`,
      retry,
    )) as ResourceList;
    for (const entry of list.resources ?? []) {
      if (entry.name.includes('/') || entry.name === 'namespaces') continue;
      if (!entry.verbs.includes('list') || !entry.verbs.includes('delete')) continue;
      const { group, version } = splitApiVersion(apiVersion);
      resources.push({
        apiVersion,
        kind: entry.kind,
        group,
        version,
        plural: entry.name,
        namespaced: entry.namespaced,
        verbs: entry.verbs,
      });
    }
  }
  return resources;
}
