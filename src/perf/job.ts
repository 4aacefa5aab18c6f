import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { assertShardable, type LoadedProfile } from '../config/load-profile.js';
import { usageError } from '../errors.js';
import { RUN_ID_LABEL } from '../kube/labels.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { shardPlan } from '../scenario/shard.js';
import { packagePath } from '../util/package-root.js';

/**
 * `vitictl perf job`: the manifests that run a profile's shards in the cluster. An Indexed Job (the
 * completion index is the shard), a ServiceAccount with only the verbs and kinds the scenario needs,
 * and a Role to store each shard's result in a ConfigMap, which `vitictl perf collect` merges.
 */

export interface JobOptions {
  name: string;
  namespace: string;
  shards: number;
  image: string;
  runId: string;
  profile: LoadedProfile;
  /** the whole run's plan (every shard's objects) */
  plan: ScenarioPlan;
  count?: number | undefined;
  namespaces?: number | undefined;
}

type Manifest = Record<string, unknown>;

const PROFILE_DIR = '/etc/vitictl';
/** the image's user (the node image's `node`, uid 1000: see the Dockerfile) */
export const RUN_AS_USER = 1000;
/** the Job's pods write reports here (an emptyDir: the root filesystem is read-only) */
const WORK_DIR = '/tmp';

/** Refuse, before anything is applied, a split that some shard could not run. */
function checkSplit(plan: ScenarioPlan, shards: number): void {
  for (let index = 0; index < shards; index++) shardPlan(plan, { index, count: shards });
}

/**
 * RBAC rules for what a shard does: create, get (after a retried create), list/watch, delete, and
 * patch when the profile has an update phase.
 */
function clusterRules(plan: ScenarioPlan, profile: LoadedProfile): Manifest[] {
  const verbs = ['create', 'get', 'list', 'watch', 'delete'];
  if (profile.phases.some((phase) => phase.type === 'update')) verbs.push('patch');
  const byGroup = new Map<string, Set<string>>();
  for (const set of plan.sets) {
    if (!set.plural) {
      throw usageError(
        `no CRD known for ${set.spec.kind} (${set.spec.apiVersion}): the RBAC rules need its resource name`,
        'pass its CRD with --crd FILE',
      );
    }
    const group = set.spec.apiVersion.includes('/') ? set.spec.apiVersion.split('/')[0]! : '';
    const plurals = byGroup.get(group) ?? new Set<string>();
    plurals.add(set.plural);
    byGroup.set(group, plurals);
  }
  const rules: Manifest[] = [...byGroup].map(([group, plurals]) => ({
    apiGroups: [group],
    resources: [...plurals].sort(),
    verbs,
  }));
  if (plan.createNamespaces)
    rules.push({ apiGroups: [''], resources: ['namespaces'], verbs: ['create', 'get', 'delete'] });
  return rules;
}

/** A profile file (and the scenario file it names) travel in a ConfigMap; built-ins are in the image. */
async function profileFiles(profile: LoadedProfile): Promise<Record<string, string> | undefined> {
  if (profile.file === packagePath('profiles', `${profile.name}.yaml`)) return undefined;
  const document = parseDocument(await readFile(profile.file, 'utf8'));
  const files: Record<string, string> = {};
  if (profile.scenario.includes('/')) {
    files['scenario.yaml'] = await readFile(profile.scenario, 'utf8');
    document.setIn(['spec', 'scenario'], './scenario.yaml');
  }
  files['profile.yaml'] = document.toString();
  return files;
}

export async function jobManifests(options: JobOptions): Promise<Manifest[]> {
  const { name, namespace, shards, runId } = options;
  assertShardable(options.profile);
  checkSplit(options.plan, shards);
  const labels = {
    'app.kubernetes.io/name': 'vitictl',
    'app.kubernetes.io/instance': name,
    [RUN_ID_LABEL]: runId,
  };
  const meta = (suffix = '', namespaced = true) => ({
    name: `${name}${suffix}`,
    ...(namespaced ? { namespace } : {}),
    labels,
  });
  const files = await profileFiles(options.profile);
  const profileArg = files ? `${PROFILE_DIR}/profile.yaml` : options.profile.name;
  const args = [
    'perf',
    'run',
    profileArg,
    '--shard',
    `$(JOB_COMPLETION_INDEX)/${shards}`,
    '--run-id',
    runId,
    '--result-configmap',
    name,
    '-n',
    namespace,
    '--out-dir',
    `${WORK_DIR}/report`,
    ...(options.count !== undefined ? ['--count', String(options.count)] : []),
    ...(options.namespaces !== undefined ? ['--namespaces', String(options.namespaces)] : []),
  ];
  const manifests: Manifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta() },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta('', false),
      rules: clusterRules(options.plan, options.profile),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('', false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('-results'),
      rules: [
        // create cannot be limited by name; replacing is limited to the shards' own ConfigMaps
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          resourceNames: Array.from({ length: shards }, (_, i) => `${name}-${i}`),
          verbs: ['update'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('-results'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-results` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  ];
  if (files) manifests.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('-profile'), data: files });
  manifests.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(),
    spec: {
      completionMode: 'Indexed',
      completions: shards,
      parallelism: shards,
      // a retried shard would collide with what its failed attempt created: fail the run instead
      backoffLimit: 0,
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          restartPolicy: 'Never',
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // one load generator per node where the cluster has the nodes
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: { 'batch.kubernetes.io/job-name': name } },
            },
          ],
          containers: [
            {
              name: 'vitictl',
              image: options.image,
              args,
              env: [
                {
                  name: 'JOB_COMPLETION_INDEX',
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
                { name: 'NO_COLOR', value: '1' },
              ],
              resources: { requests: { cpu: '1', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'work', mountPath: WORK_DIR },
                ...(files ? [{ name: 'profile', mountPath: PROFILE_DIR, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            { name: 'work', emptyDir: {} },
            ...(files ? [{ name: 'profile', configMap: { name: `${name}-profile` } }] : []),
          ],
        },
      },
    },
  });
  return manifests;
}
