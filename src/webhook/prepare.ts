import { readTextFile } from '../config/yaml-source.js';
import { inputError, usageError } from '../errors.js';
import { evenSplit, type Shard } from '../scenario/shard.js';
import { redactUrl } from '../util/redact-url.js';
import type { OperationWeights } from './admission-review.js';
import type { FailurePolicy, WebhookType } from './check-response.js';
import type { WebhookBenchOptions, WebhookLoad } from './engine.js';
import type { PhaseLimit } from './phase.js';
import { loadSources } from './sources.js';
import type { WebhookTarget } from './target.js';
import { applyRules, readWebhookConfig, type WebhookConfig } from './webhook-config.js';

/** What the command parsed from its flags: values, not yet files or cluster reads. */
export interface WebhookBenchInput {
  url?: string | undefined;
  webhook?: string | undefined;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  serverName?: string | undefined;
  insecure: boolean;
  load: WebhookLoad;
  limit: PhaseLimit;
  warmupMs: number;
  scenario?: string | undefined;
  objectsFile?: string | undefined;
  crdFiles: string[];
  operations: OperationWeights;
  dryRunShare: number;
  timeoutSeconds?: number | undefined;
  failurePolicy?: FailurePolicy | undefined;
  type?: WebhookType | undefined;
  runId: string;
  /** send only this shard's objects, at its share of the load (the flags describe the whole run) */
  shard?: Shard | undefined;
  kube: { kubeconfig?: string | undefined; context?: string | undefined; env?: NodeJS.ProcessEnv };
}

/** --url as the API server would accept it in clientConfig.url: https, no user info, query or fragment. */
function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(
      `--url is not a URL: "${redactUrl(text)}"`,
      'e.g. https://127.0.0.1:9443/validate-machine',
    );
  }
  if (url.protocol !== 'https:') {
    throw usageError(
      `--url must be https (the API server calls webhooks over TLS only), got ${url.protocol}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw usageError('--url must not carry user info (the API server forbids it in webhook URLs)');
  }
  if (url.search !== '' || url.hash !== '') {
    throw usageError('--url must not have a query or fragment (the API server adds ?timeout=Ns itself)');
  }
  return url;
}

async function readPem(file: string, what: string, kind: 'certificate' | 'private key'): Promise<string> {
  const text = await readTextFile(file, what);
  const marker =
    kind === 'certificate' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!marker.test(text)) {
    throw inputError(`${what} ${file} holds no PEM ${kind}`, {
      location: { file },
      hint: 'pass a PEM file (-----BEGIN …-----)',
    });
  }
  return text;
}

async function readConfig(input: WebhookBenchInput): Promise<{ config: WebhookConfig; context: string }> {
  const { connect } = await import('../kube/connect.js');
  const { KubeRest } = await import('../kube/rest.js');
  const connection = await connect({
    kubeconfig: input.kube.kubeconfig,
    context: input.kube.context,
    env: input.kube.env ?? process.env,
  });
  const rest = await KubeRest.create(connection, { connections: 2 });
  try {
    return { config: await readWebhookConfig(rest, input.webhook as string), context: connection.context };
  } finally {
    await rest.close();
  }
}

/**
 * Flags → everything a run needs: the target (URL, CA, client cert, server name), the webhook's
 * type/policy/timeout (from --webhook's configuration unless given), and the objects, filtered by
 * the webhook's rules. Returns warnings for the command to print.
 */
export async function prepareWebhookBench(
  input: WebhookBenchInput,
): Promise<{ options: WebhookBenchOptions; warnings: string[] }> {
  if (input.url === undefined && input.webhook === undefined) {
    throw usageError(
      '--url or --webhook is required',
      'vitictl webhook bench --url https://127.0.0.1:9443/validate-machine --ca ca.crt',
    );
  }
  if ((input.certFile === undefined) !== (input.keyFile === undefined)) {
    throw usageError('--cert and --key go together');
  }
  if (input.scenario !== undefined && input.objectsFile !== undefined) {
    throw usageError('--scenario and --objects exclude each other');
  }
  const warnings: string[] = [];
  let config: WebhookConfig | undefined;
  let context = '';
  if (input.webhook !== undefined) ({ config, context } = await readConfig(input));
  let url: URL;
  let serverName = input.serverName;
  if (input.url !== undefined) {
    url = parseWebhookUrl(input.url);
    if (config?.service && serverName === undefined)
      serverName = `${config.service.name}.${config.service.namespace}.svc`;
  } else if (config?.url !== undefined) {
    url = parseWebhookUrl(config.url);
  } else {
    const service = config?.service;
    const port = service?.port ?? 443;
    throw inputError(
      `webhook ${config?.webhook} is reached through service ${service?.namespace}/${service?.name}:${port}${service?.path ?? ''}; vitictl calls url: webhooks directly`,
      {
        hint: `kubectl -n ${service?.namespace} port-forward svc/${service?.name} 8443:${port}, then add --url https://127.0.0.1:8443${service?.path ?? '/'} (the server name ${service?.name}.${service?.namespace}.svc is used for TLS)`,
      },
    );
  }
  if (config && !config.admissionReviewVersions.includes('v1')) {
    throw inputError(
      `webhook ${config.webhook} accepts AdmissionReview ${config.admissionReviewVersions.join(', ')} only; vitictl sends admission.k8s.io/v1`,
    );
  }
  if (config?.type && input.type && config.type !== input.type) {
    throw usageError(`--mutating contradicts ${config.configuration}: it is a ${config.type} webhook`);
  }
  const timeoutSeconds = input.timeoutSeconds ?? config?.timeoutSeconds ?? 10;
  const ca =
    input.caFile !== undefined ? await readPem(input.caFile, 'CA file', 'certificate') : config?.caBundle;
  const caOrigin =
    input.caFile !== undefined
      ? `--ca ${input.caFile}`
      : config?.caBundle !== undefined
        ? `the caBundle of ${config.configuration}`
        : 'the system roots';
  const target: WebhookTarget = {
    url,
    ca,
    caOrigin,
    cert:
      input.certFile !== undefined
        ? await readPem(input.certFile, 'client certificate', 'certificate')
        : undefined,
    key: input.keyFile !== undefined ? await readPem(input.keyFile, 'client key', 'private key') : undefined,
    serverName,
    insecure: input.insecure,
  };
  const loaded = await loadSources({
    scenario: input.scenario,
    objectsFile: input.objectsFile,
    crdFiles: input.crdFiles,
    runId: input.runId,
  });
  warnings.push(...loaded.warnings);
  let { sources } = loaded;
  let operations = input.operations;
  if (config && config.rules.length > 0) {
    const ruled = applyRules(config.rules, sources, operations);
    if (ruled.sources.length === 0) {
      throw inputError(
        `none of the objects match the rules of webhook ${config.webhook}: the API server would never call it for them`,
        {
          hint: `its rules cover ${config.rules.map((rule) => `${rule.resources.join(',')} (${rule.apiGroups.join(',') || 'core'})`).join('; ')}; pick a matching --scenario or --objects`,
        },
      );
    }
    if (ruled.droppedKinds.length > 0) {
      warnings.push(
        `the webhook's rules do not cover ${ruled.droppedKinds.join(', ')}: those objects are not sent`,
      );
    }
    if (ruled.droppedOperations.length > 0) {
      if (anyOperation(ruled.operations)) {
        warnings.push(
          `the webhook's rules do not cover ${ruled.droppedOperations.join(', ')}: those operations are not sent`,
        );
      } else {
        throw inputError(
          `the webhook's rules cover none of the operations asked for (${ruled.droppedOperations.join(', ')})`,
          {
            hint: `its rules name ${[...new Set(config.rules.flatMap((rule) => rule.operations))].join(', ')}; pass --operations accordingly`,
          },
        );
      }
    }
    sources = ruled.sources;
    operations = ruled.operations;
  }
  const scenario = { ...loaded.scenario, objects: sources.length };
  let load = input.load;
  let limit = input.limit;
  const shard = input.shard;
  let shardOf: WebhookBenchOptions['shard'];
  if (shard) {
    const whole = sources.length;
    sources = sources.filter((_, index) => index % shard.count === shard.index);
    if (sources.length === 0)
      throw usageError(`shard ${shard.index}/${shard.count} has no objects: there are ${whole} to send`);
    if (load.engine === 'closed' && load.connections < shard.count)
      throw usageError(`--connections ${load.connections} cannot be split over ${shard.count} shards`);
    load =
      load.engine === 'open'
        ? {
            engine: 'open',
            rate: load.rate / shard.count,
            maxConnections: Math.max(1, evenSplit(load.maxConnections, shard)),
          }
        : { engine: 'closed', connections: evenSplit(load.connections, shard) };
    if ('requests' in limit) limit = { requests: Math.max(1, evenSplit(limit.requests, shard)) };
    scenario.objects = sources.length;
    shardOf = { index: shard.index, count: shard.count, scenarioObjects: whole };
  }
  if (
    config &&
    input.dryRunShare > 0 &&
    config.sideEffects !== 'None' &&
    config.sideEffects !== 'NoneOnDryRun'
  ) {
    warnings.push(
      `webhook ${config.webhook} has sideEffects ${config.sideEffects}: the API server rejects dry-run requests without calling it, so --dry-run-share tests a path it never takes`,
    );
  }
  return {
    options: {
      target,
      webhook: {
        configuration: config?.configuration ?? null,
        name: config?.webhook ?? null,
        type: config?.type ?? input.type ?? 'validating',
        failurePolicy: input.failurePolicy ?? config?.failurePolicy ?? 'Fail',
        timeoutSeconds,
      },
      load,
      limit,
      warmupMs: input.warmupMs,
      sources,
      scenario,
      ...(shardOf ? { shard: shardOf } : {}),
      operations,
      dryRunShare: input.dryRunShare,
      context,
      runId: input.runId,
    },
    warnings,
  };
}

function anyOperation(operations: OperationWeights): boolean {
  return operations.CREATE + operations.UPDATE + operations.DELETE > 0;
}
