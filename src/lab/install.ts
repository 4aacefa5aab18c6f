import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runtimeError } from '../errors.js';
import type { KubeConnection } from '../kube/connect.js';
import { KubeRest, statusMessage } from '../kube/rest.js';
import { toYaml } from '../util/yaml-emit.js';
import { crdFilesIn } from './vitistack-api.js';

const OPERATOR_NAMESPACE = 'vitistack-system';
const PERFORMANCE_CONFIGMAP = 'vitistack-performance-config';
const WEBHOOK_CONFIGURATION = 'vitictl-lab-operator';
const FIELD_MANAGER = 'vitictl-lab';

/** Where the lab's own objects live: it applies only these kinds. */
const PATHS: Record<string, (name: string, namespace?: string) => string> = {
  CustomResourceDefinition: (name) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
  Namespace: (name) => `/api/v1/namespaces/${name}`,
  ConfigMap: (name, namespace) => `/api/v1/namespaces/${namespace}/configmaps/${name}`,
  ValidatingWebhookConfiguration: (name) =>
    `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`,
  ServiceAccount: (name, namespace) => `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`,
  ClusterRole: (name) => `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`,
  ClusterRoleBinding: (name) => `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`,
  Role: (name, namespace) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${name}`,
  RoleBinding: (name, namespace) =>
    `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${name}`,
};

function pathOf(object: KubernetesObject): string {
  const name = encodeURIComponent(object.metadata?.name ?? '');
  const namespace = encodeURIComponent(object.metadata?.namespace ?? '');
  const path = PATHS[object.kind ?? '']?.(name, namespace);
  if (!path) throw new Error(`the lab does not apply ${object.kind} objects`);
  return path;
}

/**
 * Server-side apply of the object exactly as given. client-node's typed models would re-serialize it
 * and drop what they do not model (a CRD's x-kubernetes-int-or-string, for one).
 */
async function apply(rest: KubeRest, object: KubernetesObject): Promise<void> {
  const response = await rest.request('PATCH', `${pathOf(object)}?fieldManager=${FIELD_MANAGER}&force=true`, {
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
  if (response.status >= 300) {
    throw runtimeError(
      `applying ${object.kind} ${object.metadata?.name ?? ''} failed (${response.status}): ${statusMessage(response)}`,
    );
  }
}

async function withRest<T>(connection: KubeConnection, use: (rest: KubeRest) => Promise<T>): Promise<T> {
  const rest = await KubeRest.create(connection, { connections: 2 });
  try {
    return await use(rest);
  } finally {
    await rest.close();
  }
}

function established(body: unknown): boolean {
  const conditions = (body as { status?: { conditions?: Array<{ type?: string; status?: string }> } }).status
    ?.conditions;
  return conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

/** Apply every CRD of a folder (the VitiStack API module's crds/) and wait until each is Established. */
export function installCrds(connection: KubeConnection, dir: string): Promise<string[]> {
  return withRest(connection, async (rest) => {
    const crds: KubernetesObject[] = [];
    for (const file of await crdFilesIn(dir)) {
      for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
        const crd = doc.toJS() as KubernetesObject;
        await apply(rest, crd);
        crds.push(crd);
      }
    }
    const deadline = Date.now() + 60_000;
    for (const crd of crds) {
      while (!established((await rest.request('GET', pathOf(crd))).body)) {
        if (Date.now() > deadline)
          throw runtimeError(`CRD ${crd.metadata?.name} did not become Established within 60s`);
        await sleep(200);
      }
    }
    return crds.map((crd) => crd.metadata?.name ?? '');
  });
}

/** The performance ConfigMap the operator reads (the same shape `vitictl tune` emits). */
function performanceConfigMap(performanceYaml: string): KubernetesObject & { data: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: PERFORMANCE_CONFIGMAP,
      namespace: OPERATOR_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'vitictl' },
    },
    data: { 'performance.yaml': performanceYaml },
  };
}

/** The lab's starting config: deliberately modest client QPS, so there is something for `tune` to find. */
export function defaultPerformanceYaml(workers: number, qps = 100): string {
  return toYaml({
    controller: { workers, maxConcurrentReconciles: workers, batchSize: 1, batchTimeout: '100ms' },
    caching: { enabled: true, ttl: '5m', maxSize: 1000 },
    rateLimit: { qps, burst: qps * 2 },
    reconciliation: { requeueDelay: '0s', requeueDelayOnError: '5s', timeout: '30s' },
  });
}

export async function installOperatorConfig(
  connection: KubeConnection,
  performanceYaml: string,
): Promise<void> {
  await withRest(connection, async (rest) => {
    await apply(rest, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
    await apply(rest, performanceConfigMap(performanceYaml));
  });
}

/** Register the operator's validating webhook by URL and CA bundle, as envtest does. */
export async function registerWebhook(
  connection: KubeConnection,
  port: number,
  caFile: string,
): Promise<void> {
  const caBundle = readFileSync(caFile).toString('base64');
  const configuration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION },
    webhooks: [
      {
        name: 'vmachine.vitistack.io',
        clientConfig: { url: `https://127.0.0.1:${port}/validate-machine`, caBundle },
        rules: [
          {
            apiGroups: ['vitistack.io'],
            apiVersions: ['v1alpha1'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['machines'],
            scope: '*',
          },
        ],
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 10,
      },
    ],
  } as KubernetesObject;
  await withRest(connection, (rest) => apply(rest, configuration));
}

/** The operator's identity: a service account, as a controller deployed in a cluster has. */
export const OPERATOR_SERVICE_ACCOUNT = 'vitistack-operator';
/** A year: the lab may be kept running for days, and a restarted operator reuses its kubeconfig. */
const OPERATOR_TOKEN_SECONDS = 365 * 24 * 3600;

function operatorRbac(): KubernetesObject[] {
  const rbac = 'rbac.authorization.k8s.io/v1';
  const subject = { kind: 'ServiceAccount', name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE };
  const meta = { name: OPERATOR_SERVICE_ACCOUNT, namespace: OPERATOR_NAMESPACE };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: OPERATOR_SERVICE_ACCOUNT },
      rules: [
        // every VitiStack kind: watch, finalizers (patch/update), and status
        {
          apiGroups: ['vitistack.io'],
          resources: ['*'],
          verbs: ['get', 'list', 'watch', 'patch', 'update'],
        },
        { apiGroups: ['vitistack.io'], resources: ['*/status'], verbs: ['get', 'patch', 'update'] },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: OPERATOR_SERVICE_ACCOUNT },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_SERVICE_ACCOUNT },
      subjects: [subject],
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: meta,
      rules: [
        // its performance ConfigMap, and the lease of --leader-elect
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_SERVICE_ACCOUNT },
      subjects: [subject],
    },
  ] as KubernetesObject[];
}

/**
 * The operator's service account with the RBAC it needs and nothing more, and a token for it. So the
 * API server treats the operator as it treats a deployed controller: its own RBAC, and API Priority
 * and Fairness puts it in the service-accounts flow (priority level workload-low), where a busy API
 * server queues it. With the admin's system:masters certificate it would be exempt and never queue.
 */
export async function installOperatorIdentity(connection: KubeConnection): Promise<string> {
  return withRest(connection, async (rest) => {
    for (const object of operatorRbac()) await apply(rest, object);
    const response = await rest.request(
      'POST',
      `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/${OPERATOR_SERVICE_ACCOUNT}/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: OPERATOR_TOKEN_SECONDS },
        },
      },
    );
    const token = (response.body as { status?: { token?: unknown } } | undefined)?.status?.token;
    if (response.status >= 300 || typeof token !== 'string')
      throw runtimeError(
        `requesting a token for the operator's service account failed (${response.status}): ${statusMessage(response)}`,
      );
    return token;
  });
}
