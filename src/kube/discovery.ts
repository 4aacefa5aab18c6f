import { inputError, runtimeError } from '../errors.js';
import { isPlainObject } from '../util/plain-object.js';
import { type KubeRest, statusMessage } from './rest.js';
import { newRetryCounters, requestWithRetry } from './retry.js';

export interface ApiResource {
  apiVersion: string;
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function groupVersionPath(apiVersion: string): string {
  const { group } = splitApiVersion(apiVersion);
  return group === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
}

/** The collection path, or an object's path, of a resource. */
export function resourcePath(resource: ApiResource, namespace?: string, name?: string): string {
  const base = groupVersionPath(resource.apiVersion);
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${resource.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** Discovery retried like the requests after it (429, 5xx, a restarting API server) for up to `retryMs`. */
export interface DiscoveryRetry {
  retryMs: number;
  onRetry?: (why: string, waitMs: number) => void;
}

/**
 * A discovery GET (short timeout: discovery answers fast or the server is in trouble). With `retry`,
 * the last answer after the retries is returned (a 503 stays a 503), and a server that never answered
 * is the NetworkError of the last attempt.
 */
export async function getJson(
  rest: KubeRest,
  path: string,
  retry?: DiscoveryRetry,
  signal?: AbortSignal,
): Promise<{ status: number; body: unknown }> {
  if (!retry) {
    const response = await rest.request('GET', path, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
    return { status: response.status, body: response.body };
  }
  const answer = await requestWithRetry(
    rest,
    'GET',
    path,
    { timeoutMs: 15_000, ...(signal ? { signal } : {}) },
    {
      deadline: performance.now() + retry.retryMs,
      signal,
      counters: newRetryCounters(),
      initialBackoffMs: 250,
      ...(retry.onRetry ? { onRetry: retry.onRetry } : {}),
    },
  );
  if (answer.ok) return { status: answer.response.status, body: answer.response.body };
  if (answer.last && 'response' in answer.last)
    return { status: answer.last.response.status, body: answer.last.response.body };
  if (answer.last) throw answer.last.error;
  throw runtimeError(`GET ${rest.server}${path}: ${answer.reason}`);
}

function rejectedCredentials(rest: KubeRest) {
  return runtimeError(`the API server at ${rest.server} rejected our credentials (401 Unauthorized)`, {
    hint: 'check the user in the kubeconfig; tokens may have expired',
  });
}

export async function serverVersion(
  rest: KubeRest,
  retry?: DiscoveryRetry,
  signal?: AbortSignal,
): Promise<string> {
  const response = await getJson(rest, '/version', retry, signal);
  if (response.status === 401) throw rejectedCredentials(rest);
  if (response.status !== 200 || !isPlainObject(response.body)) {
    throw runtimeError(`GET ${rest.server}/version answered ${response.status}`, {
      hint: 'is this a Kubernetes API server?',
    });
  }
  return String(response.body.gitVersion ?? 'unknown');
}

interface DiscoveryList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }>;
}

/**
 * Resolve kinds through discovery. Missing kinds are collected, with what their group does serve,
 * and reported together: "Machine (vitistack.io/v1alpha1) is not served; vitistack.io serves …".
 */
export async function discoverKinds(
  rest: KubeRest,
  kinds: Array<{ apiVersion: string; kind: string }>,
  retry?: DiscoveryRetry,
  signal?: AbortSignal,
): Promise<Map<string, ApiResource>> {
  const found = new Map<string, ApiResource>();
  const problems: string[] = [];
  const lists = new Map<string, DiscoveryList | undefined>();
  for (const { apiVersion, kind } of kinds) {
    const key = `${apiVersion}/${kind}`;
    if (found.has(key)) continue;
    if (!lists.has(apiVersion)) {
      const response = await getJson(rest, groupVersionPath(apiVersion), retry, signal);
      if (response.status === 401) throw rejectedCredentials(rest);
      if (response.status === 403) {
        throw inputError(`discovery of ${apiVersion} is forbidden for this user (403)`, {
          hint: 'the user needs get on non-resource URLs /apis/*',
        });
      }
      // only 404 means "not served"; a failing server (503 after the retries) is not a verdict on the kind
      if (response.status !== 200 && response.status !== 404)
        throw runtimeError(
          `discovery GET ${rest.server}${groupVersionPath(apiVersion)} answered ${response.status}`,
          {
            hint: 'the API server is failing or restarting: try again when it answers',
          },
        );
      lists.set(apiVersion, response.status === 200 ? (response.body as DiscoveryList) : undefined);
    }
    const list = lists.get(apiVersion);
    const resource = list?.resources?.find((entry) => entry.kind === kind && !entry.name.includes('/'));
    if (resource) {
      const { group, version } = splitApiVersion(apiVersion);
      found.set(key, {
        apiVersion,
        kind,
        group,
        version,
        plural: resource.name,
        namespaced: resource.namespaced,
        verbs: resource.verbs,
      });
      continue;
    }
    const { group } = splitApiVersion(apiVersion);
    let served = '';
    if (list) {
      served = `${apiVersion} serves ${
        list.resources
          ?.filter((entry) => !entry.name.includes('/'))
          .map((entry) => entry.kind)
          .join(', ') || 'nothing'
      }`;
    } else if (group !== '') {
      const groupInfo = await getJson(rest, `/apis/${group}`, retry, signal);
      const versions =
        isPlainObject(groupInfo.body) && Array.isArray(groupInfo.body.versions)
          ? (groupInfo.body.versions as Array<{ groupVersion: string }>).map((v) => v.groupVersion)
          : [];
      served =
        versions.length > 0
          ? `group ${group} serves ${versions.join(', ')}`
          : `group ${group} is not served at all`;
    }
    problems.push(`${kind} (${apiVersion}) is not served${served ? `: ${served}` : ''}`);
  }
  if (problems.length > 0) {
    throw inputError(problems.join('; '), {
      hint: 'install the CRDs first (for VitiStack: kubectl apply -f crds/), or check apiVersion/kind in the scenario',
    });
  }
  return found;
}

export interface AccessCheck {
  group: string;
  resource: string;
  verb: string;
  namespace?: string | undefined;
}

export async function canI(rest: KubeRest, check: AccessCheck, signal?: AbortSignal): Promise<boolean> {
  const response = await rest.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          group: check.group,
          resource: check.resource,
          verb: check.verb,
          ...(check.namespace ? { namespace: check.namespace } : {}),
        },
      },
    },
    timeoutMs: 15_000,
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 201 && response.status !== 200) {
    throw runtimeError(`SelfSubjectAccessReview failed: ${statusMessage(response)}`);
  }
  return (
    isPlainObject(response.body) &&
    isPlainObject(response.body.status) &&
    response.body.status.allowed === true
  );
}
