import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { runtimeError } from '../errors.js';
import { describeApiError, type KubeConnection } from '../kube/connect.js';
import { packagePath } from '../util/package-root.js';
import { toYaml } from '../util/yaml-emit.js';

const OPERATOR_NAMESPACE = 'vitistack-system';
const PERFORMANCE_CONFIGMAP = 'vitistack-performance-config';
const WEBHOOK_CONFIGURATION = 'vitictl-lab-operator';
const FIELD_MANAGER = 'vitictl-lab';

async function apply(connection: KubeConnection, object: KubernetesObject): Promise<void> {
  const { KubernetesObjectApi, PatchStrategy } = await import('@kubernetes/client-node');
  const api = KubernetesObjectApi.makeApiClient(connection.config);
  try {
    await api.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  } catch (error) {
    const { status, message } = describeApiError(error);
    throw runtimeError(
      `applying ${object.kind} ${object.metadata?.name ?? ''} failed (${status ?? 'no status'}): ${message}`,
    );
  }
}

export async function installCrds(connection: KubeConnection): Promise<string[]> {
  const dir = packagePath('crds');
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as KubernetesObject;
      await apply(connection, crd);
      names.push(crd.metadata?.name ?? file);
    }
  }
  const { ApiextensionsV1Api } = await import('@kubernetes/client-node');
  const api = connection.config.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 60_000;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw runtimeError(`CRD ${name} did not become Established within 60s`);
      await sleep(200);
    }
  }
  return names;
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
  await apply(connection, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } });
  await apply(connection, performanceConfigMap(performanceYaml));
}

/** Register the operator's validating webhook by URL and CA bundle, as envtest does. */
export async function registerWebhook(
  connection: KubeConnection,
  port: number,
  caFile: string,
): Promise<void> {
  const caBundle = readFileSync(caFile).toString('base64');
  await apply(connection, {
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
  } as KubernetesObject);
}
