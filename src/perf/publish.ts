import { gunzipSync, gzipSync } from 'node:zlib';
import { inputError, runtimeError } from '../errors.js';
import { connect } from '../kube/connect.js';
import { RUN_ID_LABEL, SHARD_LABEL } from '../kube/labels.js';
import { KubeRest } from '../kube/rest.js';
import { MAX_RUN_FILE_BYTES, parseRunResult, type RunResult } from '../report/run-result.js';
import { shardLabelValue } from '../scenario/shard.js';
import { formatBytes } from '../util/read-input.js';

/**
 * Where in-cluster shards leave their results: one ConfigMap per shard, `<name>-<index>`, labelled
 * vitictl.io/result-of=<name>, the RunResult gzipped in binaryData (a ConfigMap holds at most 1 MiB).
 * Pod logs would need a kubelet to test against and mix stderr into stdout; ConfigMaps need neither.
 */

const RESULT_OF_LABEL = 'vitictl.io/result-of';
const KEY = 'run.json.gz';
/** the API server's limit for a ConfigMap, less room for its metadata */
const MAX_BYTES = 1_000_000;

export interface KubeTarget {
  kubeconfig: string | undefined;
  context: string | undefined;
  /** -n; default: the context's namespace (in a pod: its own) */
  namespace: string | undefined;
  env: NodeJS.ProcessEnv;
}

async function restFor(target: KubeTarget) {
  const connection = await connect({
    kubeconfig: target.kubeconfig,
    context: target.context,
    namespace: target.namespace,
    env: target.env,
  });
  return { rest: await KubeRest.create(connection, { connections: 2 }), namespace: connection.namespace };
}

function resultConfigMapName(name: string, result: RunResult): string {
  return result.shard ? `${name}-${result.shard.index}` : name;
}

/** Store `result` in its ConfigMap (replacing one a retried pod left); returns "namespace/name". */
export async function publishResult(
  result: RunResult,
  target: KubeTarget & { name: string },
): Promise<string> {
  const data = gzipSync(JSON.stringify(result)).toString('base64');
  if (data.length > MAX_BYTES) {
    throw runtimeError(
      `the RunResult is ${data.length} bytes gzipped: too large for a ConfigMap (1 MiB); it is in the --out-dir files`,
    );
  }
  const { rest, namespace } = await restFor(target);
  const name = resultConfigMapName(target.name, result);
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: {
        [RESULT_OF_LABEL]: target.name,
        [RUN_ID_LABEL]: result.runId,
        ...(result.shard ? { [SHARD_LABEL]: shardLabelValue(result.shard) } : {}),
      },
    },
    binaryData: { [KEY]: data },
  };
  try {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
    let response = await rest.request('POST', path, { body, timeoutMs: 30_000 });
    if (response.status === 409)
      response = await rest.request('PUT', `${path}/${encodeURIComponent(name)}`, {
        body,
        timeoutMs: 30_000,
      });
    if (response.status !== 200 && response.status !== 201)
      throw runtimeError(
        `storing the result in configmap ${namespace}/${name} failed: HTTP ${response.status}`,
      );
    return `${namespace}/${name}`;
  } finally {
    await rest.close();
  }
}

export interface CollectedResult {
  /** "configmap namespace/name": where the result came from, for errors and mergedFrom */
  file: string;
  result: RunResult;
}

/** Every result stored under `name` in the namespace, decoded and checked. */
export async function readPublished(target: KubeTarget & { name: string }): Promise<CollectedResult[]> {
  const { rest, namespace } = await restFor(target);
  try {
    const selector = encodeURIComponent(`${RESULT_OF_LABEL}=${target.name}`);
    const response = await rest.request(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps?labelSelector=${selector}`,
      { timeoutMs: 60_000 },
    );
    if (response.status !== 200)
      throw runtimeError(`listing configmaps in ${namespace} failed: HTTP ${response.status}`);
    const items =
      (
        response.body as {
          items?: Array<{ metadata: { name: string }; binaryData?: Record<string, string> }>;
        }
      ).items ?? [];
    return items.map((item) => {
      const file = `configmap ${namespace}/${item.metadata.name}`;
      const data = item.binaryData?.[KEY];
      if (!data)
        throw inputError(`${file} has no ${KEY}`, { hint: 'it was not written by vitictl perf run' });
      let raw: unknown;
      try {
        // bounded like a run file: a gzip of a few KB can inflate to any size
        const json = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_RUN_FILE_BYTES });
        raw = JSON.parse(json.toString('utf8'));
      } catch {
        throw inputError(`${file}: ${KEY} is not gzipped JSON of at most ${formatBytes(MAX_RUN_FILE_BYTES)}`);
      }
      return { file, result: parseRunResult(raw, file) };
    });
  } finally {
    await rest.close();
  }
}
