import { execa } from 'execa';
import { inject } from 'vitest';
import { probe } from '../../src/lab/http-probe.js';
import type { LabState } from '../../src/lab/state.js';

export function lab(): LabState {
  return inject('lab');
}

/** kubectl against the shared lab (the real binary, as users run it). */
export function kubectl(args: string[], input?: string) {
  const state = lab();
  return execa('kubectl', args, {
    env: { KUBECONFIG: state.kubeconfig },
    reject: false,
    ...(input === undefined ? {} : { input }),
  });
}

export async function metricsText(): Promise<string> {
  const result = await probe(`http://127.0.0.1:${lab().ports.metrics}/metrics`, undefined, 5000);
  if (result.status !== 200) throw new Error(`metrics endpoint answered ${result.status}: ${result.body}`);
  return result.body;
}

/** Poll `check` until it returns a value, or fail after `timeoutMs` with the last observation. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export { TEST_LAB_CONFIG } from './lab-config.js';

/** The operator's MaxConcurrentReconciles for the machine controller, as its metrics report it. */
export function machineWorkers(metrics: string): number | undefined {
  const match = metrics.match(
    /^controller_runtime_max_concurrent_reconciles\{controller="machine"\} (\S+)$/m,
  );
  return match ? Number(match[1]) : undefined;
}

/**
 * Replace the operator's performance.yaml and wait until its metrics show the new worker count (it
 * re-execs itself on a changed ConfigMap).
 */
export async function setOperatorConfig(config: {
  workers: number;
  qps: number;
  burst: number;
}): Promise<void> {
  const yaml = `controller: {workers: ${config.workers}, maxConcurrentReconciles: ${config.workers}}\nrateLimit: {qps: ${config.qps}, burst: ${config.burst}}\n`;
  const patched = await kubectl([
    'patch',
    'configmap',
    'vitistack-performance-config',
    '-n',
    'vitistack-system',
    '--type',
    'merge',
    '-p',
    JSON.stringify({ data: { 'performance.yaml': yaml } }),
  ]);
  if (patched.exitCode !== 0)
    throw new Error(`patching the performance ConfigMap failed: ${String(patched.stderr)}`);
  await waitForWorkers(config.workers);
}

export async function waitForWorkers(workers: number): Promise<void> {
  await eventually(
    async () => (machineWorkers(await metricsText()) === workers ? true : undefined),
    60_000,
    `${workers} workers in the operator's metrics`,
  );
}
