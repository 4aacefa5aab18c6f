import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeError } from '../../errors.js';
import { type KubeRest, statusMessage } from '../../kube/rest.js';
import type { Exposition } from '../../observe/metrics/model.js';
import { parseExposition } from '../../observe/metrics/parse.js';
import { fetchExposition } from '../../observe/metrics/scraper.js';
import type { Target } from '../../observe/target.js';
import type { Settle } from './result.js';

/**
 * Knowing when the controller runs with the config verify applied, before measuring it:
 *  - metric: the controller exports vitistack_config_generation{hash}; wait until the hash is the
 *    one of the applied performance.yaml (the lab operator does; a VitiStack operator can);
 *  - restart: restart deployment/NAME (as `kubectl rollout restart` does) and wait for the rollout;
 *  - settle: a fixed wait, for controllers that watch their ConfigMap and say nothing.
 */

export const GENERATION_METRIC = 'vitistack_config_generation';
/** what the operator reports when it runs on defaults because the ConfigMap is absent */
export const HASH_ABSENT = 'absent';

export type SettleMode =
  | { method: 'metric'; target: Target; timeoutMs: number }
  | { method: 'restart'; namespace: string; deployment: string; timeoutMs: number }
  | { method: 'settle'; ms: number };

/** The hash the controller reports for a performance.yaml: first 16 hex digits of its SHA-256. */
export function configHash(content: string | undefined): string {
  if (content === undefined) return HASH_ABSENT;
  return createHash('sha256').update(content, 'utf8').digest('hex').slice(0, 16);
}

export interface Generation {
  hash: string;
  generation: number;
}

/** The generation series in a parsed exposition, or null when the controller does not export it. */
export function generationOf(exposition: Exposition): Generation | null {
  const sample = exposition.families.get(GENERATION_METRIC)?.samples.find((s) => s.labels.hash !== undefined);
  return sample ? { hash: sample.labels.hash!, generation: sample.value } : null;
}

/** The same, from exposition text. */
export function generationIn(text: string): Generation | null {
  return generationOf(parseExposition(text));
}

/** One scrape (gunzipped, bounded, parsed as every scrape is) → the generation; null without the series. */
export async function readGeneration(target: Target): Promise<Generation | null> {
  return generationOf(await fetchExposition(target, target.defaultPath ?? '/metrics', 5000));
}

const POLL_MS = 250;

/**
 * Wait until the controller has taken the config whose performance.yaml hashes to `hash`. Aborting
 * `signal` stops the wait (AbortError). `before` is the generation seen before the change (metric only).
 */
export async function waitForConfig(
  mode: SettleMode,
  hash: string,
  options: { rest: KubeRest; signal: AbortSignal; before?: Generation | null },
): Promise<Settle> {
  const started = performance.now();
  const seconds = () => Math.round(performance.now() - started) / 1000;
  if (mode.method === 'settle') {
    await sleep(mode.ms, undefined, { signal: options.signal });
    return { method: 'settle', seconds: seconds() };
  }
  if (mode.method === 'restart') {
    await restartDeployment(options.rest, mode, options.signal);
    return { method: 'restart', workload: `deployment/${mode.deployment}`, seconds: seconds() };
  }
  const deadline = started + mode.timeoutMs;
  let last: Generation | null = null;
  let lastError: string | undefined;
  while (performance.now() < deadline) {
    try {
      last = await readGeneration(mode.target);
      lastError = undefined;
      if (last?.hash === hash)
        return {
          method: 'metric',
          target: mode.target.name,
          before: options.before ?? null,
          after: last,
          seconds: seconds(),
        };
    } catch (error) {
      if (options.signal.aborted) throw error;
      // the controller is restarting to take the config: its endpoint is briefly gone
      lastError = (error as Error).message;
    }
    await sleep(POLL_MS, undefined, { signal: options.signal });
  }
  throw runtimeError(
    `the controller did not take the new config within ${mode.timeoutMs / 1000}s: ${GENERATION_METRIC} on ${mode.target.name} shows ${last ? `hash ${last.hash}` : (lastError ?? 'no such series')}, expected ${hash}`,
    {
      hint: last
        ? 'does the controller watch its ConfigMap? use --restart deployment/NAME, or --settle DURATION'
        : `the controller does not export ${GENERATION_METRIC}: use --restart deployment/NAME or --settle DURATION`,
    },
  );
}

interface DeploymentStatus {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

/** `kubectl rollout status`'s rule: the new template is observed and every replica is updated and available. */
export function rolloutComplete(d: DeploymentStatus): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want &&
    (s.availableReplicas ?? 0) >= want
  );
}

async function restartDeployment(
  rest: KubeRest,
  mode: Extract<SettleMode, { method: 'restart' }>,
  signal: AbortSignal,
): Promise<void> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(mode.namespace)}/deployments/${encodeURIComponent(mode.deployment)}`;
  const where = `deployment ${mode.namespace}/${mode.deployment}`;
  const patched = await rest.request('PATCH', path, {
    body: {
      spec: {
        template: {
          metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
        },
      },
    },
    contentType: 'application/strategic-merge-patch+json',
  });
  if (patched.status !== 200)
    throw runtimeError(`restarting ${where} failed (${patched.status}): ${statusMessage(patched)}`, {
      hint: patched.status === 404 ? 'check --restart deployment/NAME and -n' : undefined,
    });
  const deadline = performance.now() + mode.timeoutMs;
  while (performance.now() < deadline) {
    await sleep(1000, undefined, { signal });
    const response = await rest.request('GET', path);
    if (response.status === 200 && rolloutComplete(response.body as DeploymentStatus)) return;
  }
  throw runtimeError(`${where} did not finish its rollout within ${mode.timeoutMs / 1000}s`);
}
