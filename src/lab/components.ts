// The lab's components: how each is checked ready, and how a lab whose processes died starts again.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interruptedError, runtimeError } from '../errors.js';
import type { Progress } from './build.js';
import { probe } from './http-probe.js';
import { assertPortFree } from './ports.js';
import { isRunning, startDetached, tailOf } from './process.js';
import { type ComponentState, type LabState, writeState } from './state.js';

export async function waitUntil(
  what: string,
  component: ComponentState,
  check: () => Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) throw interruptedError(`interrupted while ${what} was starting`, signal);
    if (!isRunning(component)) {
      throw runtimeError(
        `${what} exited during start-up; the end of ${component.log}:\n${tailOf(component.log)}`,
      );
    }
    if (await check()) return;
    await sleep(250, undefined, { signal }).catch(() => undefined);
  }
  throw runtimeError(
    `${what} did not become ready within ${Math.round(timeoutMs / 1000)}s; the end of ${component.log}:\n${tailOf(component.log)}`,
  );
}

export type Part = keyof LabState['components'];
export const PARTS: Part[] = ['etcd', 'apiserver', 'controllerManager', 'operator'];
export const LABEL: Record<Part, string> = {
  etcd: 'etcd',
  apiserver: 'kube-apiserver',
  controllerManager: 'kube-controller-manager',
  operator: 'the operator',
};
export const START_TIMEOUT_MS: Record<Part, number> = {
  etcd: 60_000,
  apiserver: 180_000,
  controllerManager: 60_000,
  operator: 60_000,
};

/** The recorded components that are not running, in start order. */
export function deadParts(state: LabState): Part[] {
  return PARTS.filter((part) => {
    const component = state.components[part];
    return component !== undefined && !isRunning(component);
  });
}

export function portsOf(state: LabState, part: Part): number[] {
  const { ports } = state;
  if (part === 'etcd') return [ports.etcd, ports.etcdPeer];
  if (part === 'apiserver') return [ports.apiserver];
  if (part === 'controllerManager') return [ports.controllerManager ?? 0];
  return [ports.metrics, ports.health, ports.pprof, ports.webhook];
}

/** Whether a component answers as ready; for a fresh lab as for a recorded one. */
export function readyCheck(
  state: Pick<LabState, 'dir' | 'ports' | 'certs'>,
  part: Part,
): () => Promise<boolean> {
  const { ports } = state;
  if (part === 'etcd')
    return async () =>
      (await probe(`http://127.0.0.1:${ports.etcd}/health`)).body.includes('"health":"true"');
  if (part === 'apiserver') {
    const pki = join(state.dir, 'pki');
    const tls = { ca: state.certs.ca, cert: join(pki, 'admin.crt'), key: join(pki, 'admin.key') };
    return async () => (await probe(`https://127.0.0.1:${ports.apiserver}/readyz`, tls)).status === 200;
  }
  if (part === 'controllerManager')
    return async () =>
      (await probe(`https://127.0.0.1:${ports.controllerManager}/healthz`, { ca: state.certs.ca })).status ===
      200;
  return async () => (await probe(`http://127.0.0.1:${ports.health}/readyz`)).status === 200;
}

/**
 * Start a recorded component again exactly as it was started (binary, flags, log), record it in the
 * lab's state before it is ready (so that `lab down` stops it whatever happens next), and wait.
 */
export async function startAgain(state: LabState, part: Part, signal?: AbortSignal): Promise<LabState> {
  const old = state.components[part] as ComponentState;
  const proc = startDetached(old.binary, old.args, old.log);
  const next: LabState = { ...state, components: { ...state.components, [part]: proc } };
  await writeState(next);
  await waitUntil(LABEL[part], proc, readyCheck(state, part), START_TIMEOUT_MS[part], signal);
  return next;
}

/**
 * Why the dead components of a lab cannot be started again on what it recorded, or undefined. Run
 * before starting anything, so a refusal leaves the lab as it was.
 */
export async function resumeProblem(state: LabState, dead: Part[]): Promise<string | undefined> {
  const needed = [
    state.kubeconfig,
    state.certs.ca,
    join(state.dir, 'etcd-data'),
    ...dead.map((part) => (state.components[part] as ComponentState).binary),
  ];
  const missing = needed.find((file) => !existsSync(file));
  if (missing) return `${missing} is gone`;
  for (const part of dead) {
    for (const port of portsOf(state, part)) {
      if (port === 0) continue;
      const taken = await assertPortFree(port, LABEL[part]).then(
        () => false,
        () => true,
      );
      if (taken) return `port ${port} of ${LABEL[part]} is taken by another process`;
    }
  }
  return undefined;
}

/**
 * A lab whose processes died (a crash, a reboot) is started again on its own data directory, ports,
 * certificates and kubeconfig, so what it stored survives and clients keep working. Never a silent
 * rebuild: when that is impossible it refuses, and `vitictl lab down` is the way to start fresh.
 */
export async function resumeLab(
  state: LabState,
  dead: Part[],
  progress: Progress,
  signal?: AbortSignal,
): Promise<LabState> {
  const problem = await resumeProblem(state, dead);
  if (problem)
    throw runtimeError(`cannot restart the lab in ${state.dir}: ${problem}`, {
      hint: 'free what it needs and run vitictl lab up again, or vitictl lab down to start a fresh lab (its stored objects are lost)',
    });
  let next = state;
  for (const part of dead) {
    progress(`restarting ${LABEL[part]} on its data, ports and certificates (it was not running)`);
    next = await startAgain(next, part, signal);
  }
  return next;
}
