import { z } from 'zod';
import { inputError, runtimeError, usageError } from '../errors.js';
import { type KubeRest, statusMessage } from '../kube/rest.js';
import type { Operation, OperationWeights, ReviewSource } from './admission-review.js';
import { OPERATIONS } from './admission-review.js';
import type { FailurePolicy, WebhookType } from './check-response.js';

/** One webhook of a Validating/MutatingWebhookConfiguration, as the API server would call it. */
export interface WebhookConfig {
  configuration: string;
  webhook: string;
  type: WebhookType;
  url: string | undefined;
  service: { namespace: string; name: string; path: string; port: number } | undefined;
  /** PEM, decoded from caBundle; undefined: system roots */
  caBundle: string | undefined;
  timeoutSeconds: number;
  failurePolicy: FailurePolicy;
  sideEffects: string;
  admissionReviewVersions: string[];
  rules: WebhookRule[];
}

const ruleSchema = z.object({
  apiGroups: z.array(z.string()).default([]),
  apiVersions: z.array(z.string()).default([]),
  resources: z.array(z.string()).default([]),
  operations: z.array(z.string()).default([]),
  scope: z.string().default('*'),
});
export type WebhookRule = z.infer<typeof ruleSchema>;

const webhookSchema = z.object({
  name: z.string(),
  clientConfig: z.object({
    url: z.string().optional(),
    service: z
      .object({
        namespace: z.string(),
        name: z.string(),
        path: z.string().optional(),
        port: z.number().int().optional(),
      })
      .optional(),
    caBundle: z.string().optional(),
  }),
  rules: z.array(ruleSchema).default([]),
  failurePolicy: z.enum(['Fail', 'Ignore']).default('Fail'),
  timeoutSeconds: z.number().int().default(10),
  sideEffects: z.string().default('Unknown'),
  admissionReviewVersions: z.array(z.string()).default(['v1']),
});

const configurationSchema = z.object({
  metadata: z.object({ name: z.string() }),
  webhooks: z.array(webhookSchema).default([]),
});

const listSchema = z.object({ items: z.array(configurationSchema).default([]) });

const KINDS: { type: WebhookType; resource: string; kind: string }[] = [
  { type: 'validating', resource: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration' },
  { type: 'mutating', resource: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration' },
];
const BASE = '/apis/admissionregistration.k8s.io/v1';

function get(rest: KubeRest, path: string) {
  return rest.request('GET', path, { timeoutMs: 15_000 });
}

function failed(what: string, response: Awaited<ReturnType<KubeRest['request']>>) {
  const hint =
    response.status === 401 || response.status === 403
      ? 'reading webhook configurations needs get/list on admissionregistration.k8s.io (cluster-scoped)'
      : 'check the cluster and --context';
  return runtimeError(`reading ${what} failed: ${response.status} ${statusMessage(response)}`, { hint });
}

function toConfig(
  type: WebhookType,
  configuration: string,
  hook: z.infer<typeof webhookSchema>,
): WebhookConfig {
  const { clientConfig } = hook;
  return {
    configuration,
    webhook: hook.name,
    type,
    url: clientConfig.url,
    service: clientConfig.service
      ? {
          namespace: clientConfig.service.namespace,
          name: clientConfig.service.name,
          path: clientConfig.service.path ?? '/',
          port: clientConfig.service.port ?? 443,
        }
      : undefined,
    caBundle: clientConfig.caBundle
      ? Buffer.from(clientConfig.caBundle, 'base64').toString('utf8')
      : undefined,
    timeoutSeconds: hook.timeoutSeconds,
    failurePolicy: hook.failurePolicy,
    sideEffects: hook.sideEffects,
    admissionReviewVersions: hook.admissionReviewVersions,
    rules: hook.rules,
  };
}

function pick(
  type: WebhookType,
  config: z.infer<typeof configurationSchema>,
  webhook: string | undefined,
): WebhookConfig {
  const name = config.metadata.name;
  if (webhook !== undefined) {
    const hook = config.webhooks.find((entry) => entry.name === webhook);
    if (!hook) {
      throw inputError(`${name} has no webhook named "${webhook}"`, {
        hint: `its webhooks: ${config.webhooks.map((entry) => entry.name).join(', ') || 'none'}`,
      });
    }
    return toConfig(type, name, hook);
  }
  const [only, ...rest] = config.webhooks;
  if (!only) throw inputError(`${name} has no webhooks`);
  if (rest.length > 0) {
    throw usageError(
      `${name} has ${config.webhooks.length} webhooks: say which`,
      config.webhooks.map((entry) => `--webhook ${name}/${entry.name}`).join(' or '),
    );
  }
  return toConfig(type, name, only);
}

/**
 * Find a webhook by configuration name (either kind), CONFIGURATION/WEBHOOK, or a webhook's own name
 * (e.g. vmachine.vitistack.io). A name that matches nothing is bad input, with what exists as the hint.
 */
export async function readWebhookConfig(rest: KubeRest, name: string): Promise<WebhookConfig> {
  const slash = name.indexOf('/');
  const configName = slash < 0 ? name : name.slice(0, slash);
  const webhookName = slash < 0 ? undefined : name.slice(slash + 1);
  for (const { type, resource, kind } of KINDS) {
    const response = await get(rest, `${BASE}/${resource}/${encodeURIComponent(configName)}`);
    if (response.status === 404) continue;
    if (response.status !== 200) throw failed(`${kind} ${configName}`, response);
    const parsed = configurationSchema.safeParse(response.body);
    if (!parsed.success) throw runtimeError(`the API server returned an unreadable ${kind} ${configName}`);
    return pick(type, parsed.data, webhookName);
  }
  const known: string[] = [];
  for (const { type, resource, kind } of KINDS) {
    const response = await get(rest, `${BASE}/${resource}`);
    if (response.status !== 200) throw failed(`${kind}s`, response);
    const parsed = listSchema.safeParse(response.body);
    if (!parsed.success) continue;
    for (const config of parsed.data.items) {
      known.push(config.metadata.name);
      const hook =
        webhookName === undefined ? config.webhooks.find((entry) => entry.name === name) : undefined;
      if (hook) return toConfig(type, config.metadata.name, hook);
    }
  }
  throw inputError(
    `no ValidatingWebhookConfiguration or MutatingWebhookConfiguration (or webhook) named "${name}"`,
    {
      hint:
        known.length > 0
          ? `configurations in this cluster: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}`
          : 'this cluster has no webhook configurations (kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations)',
    },
  );
}

function ruleMatches(rule: WebhookRule, source: ReviewSource, operation: Operation | undefined): boolean {
  const any = (list: string[], value: string) => list.includes('*') || list.includes(value);
  const { resource } = source;
  if (!any(rule.apiGroups, resource.group) || !any(rule.apiVersions, resource.version)) return false;
  if (!any(rule.resources, resource.resource)) return false;
  if (rule.scope === 'Namespaced' && !resource.namespaced) return false;
  if (rule.scope === 'Cluster' && resource.namespaced) return false;
  return operation === undefined || any(rule.operations, operation);
}

/**
 * Keep what the API server would send this webhook: objects whose resource its rules match, and the
 * operations they name. Returns what was dropped so the command can say so.
 */
export function applyRules(
  rules: ReadonlyArray<WebhookRule>,
  sources: ReadonlyArray<ReviewSource>,
  operations: OperationWeights,
): {
  sources: ReviewSource[];
  operations: OperationWeights;
  droppedKinds: string[];
  droppedOperations: Operation[];
} {
  const kept = sources.filter((source) => rules.some((rule) => ruleMatches(rule, source, undefined)));
  const droppedKinds = [
    ...new Set(sources.filter((source) => !kept.includes(source)).map((source) => source.resource.kind)),
  ];
  const next: OperationWeights = { ...operations };
  const droppedOperations: Operation[] = [];
  for (const op of OPERATIONS) {
    if (next[op] > 0 && !kept.some((source) => rules.some((rule) => ruleMatches(rule, source, op)))) {
      next[op] = 0;
      droppedOperations.push(op);
    }
  }
  return { sources: kept, operations: next, droppedKinds, droppedOperations };
}
