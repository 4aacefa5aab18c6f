import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseYamlSource } from '../config/yaml-source.js';
import { inputError, type VitictlError } from '../errors.js';
import { MiB, readBoundedFile } from '../util/read-input.js';

export interface ConnectOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

export interface KubeConnection {
  config: KubeConfig;
  server: string;
  context: string;
  /** -n, else the context's namespace, else "default" */
  namespace: string;
}

/** Where a pod finds its service account's token (in-cluster configuration). */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The files a kubeconfig is read from, as kubectl picks them: --kubeconfig, else every file in
 * $KUBECONFIG, else ~/.kube/config; none in a pod (in-cluster configuration). With no kubeconfig
 * anywhere, client-node would fall back to http://localhost:8080 and then refuse its own fallback
 * (plain HTTP): say what is missing instead.
 */
function kubeconfigFiles(options: ConnectOptions, env: NodeJS.ProcessEnv): string[] {
  if (options.kubeconfig !== undefined) return [options.kubeconfig];
  if (env.KUBECONFIG) {
    // kubectl skips the files of $KUBECONFIG that do not exist
    const listed = env.KUBECONFIG.split(delimiter).filter((file) => file.length > 0);
    const files = listed.filter((file) => existsSync(file));
    if (files.length > 0) return files;
    throw inputError(`no kubeconfig: no file in $KUBECONFIG exists (${listed.join(delimiter)})`, {
      hint: 'set KUBECONFIG to an existing file or pass --kubeconfig FILE',
    });
  }
  const home = env.HOME || env.USERPROFILE || homedir();
  const defaultFile = join(home, '.kube', 'config');
  if (existsSync(defaultFile)) return [defaultFile];
  if (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN)) return [];
  throw inputError(`no kubeconfig: $KUBECONFIG is not set and ${defaultFile} does not exist`, {
    hint: 'pass --kubeconfig FILE or set KUBECONFIG; for a local cluster: vitictl lab up, then eval "$(vitictl lab env)"',
  });
}

/**
 * Merge kubeconfig files as kubectl does: the first file to set current-context wins, and so does
 * the first to define a cluster, user or context of a given name (client-node's own merge lets the
 * last current-context win and refuses a name defined twice).
 */
function loadFiles(Config: typeof KubeConfig, files: string[]): KubeConfig {
  const config = new Config();
  const [first, ...rest] = files;
  if (first === undefined) {
    config.loadFromCluster();
    return config;
  }
  config.loadFromFile(first);
  for (const file of rest) {
    const next = new Config();
    next.loadFromFile(file);
    if (!config.currentContext) config.currentContext = next.currentContext;
    const named = (list: ReadonlyArray<{ name: string }>, name: string) =>
      list.some((entry) => entry.name === name);
    for (const cluster of next.clusters)
      if (!named(config.clusters, cluster.name)) config.addCluster(cluster);
    for (const user of next.users) if (!named(config.users, user.name)) config.addUser(user);
    for (const context of next.contexts)
      if (!named(config.contexts, context.name)) config.addContext(context);
  }
  return config;
}

/** Kubeconfigs are small; the bound only keeps a wrong path (a log, a device) from being read whole. */
const KUBECONFIG_MAX_BYTES = 16 * MiB;

/**
 * Check one kubeconfig file before client-node reads it, so that a broken one is named with
 * file:line:column (client-node says neither which file nor, for an empty one, what is wrong).
 */
async function checkKubeconfigFile(file: string, flag: string): Promise<void> {
  if (!existsSync(file)) throw inputError(`kubeconfig not found: ${file}`, { hint: `check ${flag}` });
  const text = (await readBoundedFile(file, 'the kubeconfig', KUBECONFIG_MAX_BYTES)).toString('utf8');
  const { value } = parseYamlSource(file, text);
  if (value === null || value === undefined) {
    throw inputError('the kubeconfig is empty', { location: { file }, hint: `check ${flag}` });
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw inputError(
      `not a kubeconfig: the file holds ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a mapping of clusters, users and contexts`,
      { location: { file, line: 1, column: 1 }, hint: `check ${flag}` },
    );
  }
}

/** Why a loaded kubeconfig (`where`: its files, for the message) has no cluster to talk to. */
function noCluster(config: KubeConfig, where: string): VitictlError {
  const contexts = config.getContexts().map((context) => context.name);
  const hint = `pass --context NAME (contexts: ${contexts.join(', ') || 'none'}), or run \`vitictl lab up\``;
  const current = config.getCurrentContext();
  const context = current ? config.getContextObject(current) : null;
  if (!current) return inputError(`${where} sets no current-context`, { hint });
  if (!context) return inputError(`current-context "${current}" is not a context in ${where}`, { hint });
  return inputError(
    `context "${current}" names cluster "${context.cluster}", which ${where} does not define`,
    {
      hint: 'add the cluster to the kubeconfig or pass --context NAME',
    },
  );
}

/**
 * Load a kubeconfig like kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config; then
 * --context. @kubernetes/client-node is imported here, not at start-up.
 */
export async function connect(options: ConnectOptions): Promise<KubeConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const env = options.env ?? process.env;
  const files = kubeconfigFiles(options, env);
  const flag =
    options.kubeconfig !== undefined ? '--kubeconfig' : env.KUBECONFIG ? '$KUBECONFIG' : 'the file';
  for (const file of files) await checkKubeconfigFile(file, flag);
  const source =
    files.length > 0 ? `the kubeconfig ${files.join(delimiter)}` : 'the in-cluster configuration';
  let config: KubeConfig;
  try {
    config = loadFiles(KubeConfig, files);
  } catch (error) {
    throw inputError(`cannot read ${source}: ${(error as Error).message.split('\n')[0]}`, {
      hint: `check ${flag}`,
    });
  }
  if (options.context !== undefined) {
    if (!config.getContexts().some((context) => context.name === options.context)) {
      throw inputError(`context "${options.context}" is not in the kubeconfig`, {
        hint: `contexts: ${
          config
            .getContexts()
            .map((context) => context.name)
            .join(', ') || 'none'
        }`,
      });
    }
    config.setCurrentContext(options.context);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) throw noCluster(config, source);
  const contextName = config.getCurrentContext();
  const contextNamespace = config.getContextObject(contextName)?.namespace;
  return {
    config,
    server: cluster.server,
    context: contextName,
    namespace: options.namespace ?? contextNamespace ?? 'default',
  };
}

/** The API server's message and HTTP status from a client-node error, for one-line errors. */
export function describeApiError(error: unknown): { status: number | undefined; message: string } {
  const err = error as { code?: number; body?: unknown; message?: string };
  let message = err.message ?? String(error);
  if (typeof err.body === 'string') {
    try {
      const status = JSON.parse(err.body) as { message?: string };
      if (status.message) message = status.message;
    } catch {
      // not JSON
    }
  } else if (err.body && typeof err.body === 'object' && 'message' in err.body) {
    message = String((err.body as { message: unknown }).message);
  }
  return { status: typeof err.code === 'number' ? err.code : undefined, message };
}
