import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { inputError, runtimeError } from '../errors.js';

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
 * With no kubeconfig anywhere, client-node falls back to http://localhost:8080 and then refuses its
 * own fallback (plain HTTP): say what is missing instead.
 */
function refuseNoKubeconfig(env: NodeJS.ProcessEnv): void {
  if (env.KUBECONFIG) return;
  const home = env.HOME || env.USERPROFILE || homedir();
  const defaultFile = join(home, '.kube', 'config');
  if (existsSync(defaultFile) || (env.KUBERNETES_SERVICE_HOST && existsSync(IN_CLUSTER_TOKEN))) return;
  throw inputError(`no kubeconfig: $KUBECONFIG is not set and ${defaultFile} does not exist`, {
    hint: 'pass --kubeconfig FILE or set KUBECONFIG; for a local cluster: vitictl lab up, then eval "$(vitictl lab env)"',
  });
}

/**
 * Load a kubeconfig like kubectl does: --kubeconfig, else $KUBECONFIG, else ~/.kube/config; then
 * --context. @kubernetes/client-node is imported here, not at start-up.
 */
export async function connect(options: ConnectOptions): Promise<KubeConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  const env = options.env ?? process.env;
  try {
    if (options.kubeconfig !== undefined) {
      if (!existsSync(options.kubeconfig)) {
        throw inputError(`kubeconfig not found: ${options.kubeconfig}`, { hint: 'check --kubeconfig' });
      }
      config.loadFromFile(options.kubeconfig);
    } else {
      refuseNoKubeconfig(env);
      const saved = process.env.KUBECONFIG;
      if (env.KUBECONFIG !== undefined) process.env.KUBECONFIG = env.KUBECONFIG;
      try {
        config.loadFromDefault();
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
      }
    }
  } catch (error) {
    if (error instanceof Error && error.name === 'VitictlError') throw error;
    throw inputError(`cannot read the kubeconfig: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'check --kubeconfig / $KUBECONFIG',
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
  if (!cluster) {
    throw runtimeError('the kubeconfig has no current cluster', {
      hint: 'pass --kubeconfig or --context, or run `vitictl lab up`',
    });
  }
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
