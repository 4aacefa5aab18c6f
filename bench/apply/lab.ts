// What the apply bench's parts share: a lab per part, the CLIs as child processes, timing helpers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_ID_LABEL } from '../../src/kube/labels.js';
import { type LabUpOptions, labDown, labUp } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import type { TimelineRow } from '../../src/load/apply-engine.js';
import type { RunResult } from '../../src/report/run-result.js';
import { bin } from '../lib.js';
import { must, run } from './proc.js';
import { round } from './stats.js';

export const MINUTE = 60_000;

const quiet = () => {};
export const load = () => loadavg().map((value) => round(value, 2));
export const log = (line: string) => process.stderr.write(`  ${line}\n`);

export interface Lab {
  dir: string;
  state: LabState;
  server: string;
  pki: string;
  env: NodeJS.ProcessEnv;
}

export async function withLab<T>(
  options: Omit<LabUpOptions, 'dir'>,
  work: (lab: Lab) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-apply-'));
  try {
    const { state } = await labUp({ dir, ...options }, quiet);
    const server = `https://127.0.0.1:${state.ports.apiserver}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KUBECONFIG: state.kubeconfig,
      // kubectl's discovery cache inside the lab dir, not in ~/.kube
      KUBECACHEDIR: join(dir, 'kubectl-cache'),
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
    };
    return await work({ dir, state, server, pki: join(dir, 'pki'), env });
  } finally {
    await labDown(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Generated {
  namespaces: Array<{ metadata: { name: string } }>;
  machines: Array<{ metadata: Record<string, unknown> & { name: string; namespace: string } }>;
}

export function generate(lab: Lab, count: number, runId: string): Generated {
  const ran = must(
    'node',
    [bin, 'scenario', 'generate', 'machines', '--count', String(count), '--run-id', runId, '-o', 'json'],
    {
      env: lab.env,
      timeoutMs: 2 * MINUTE,
    },
  );
  const items = (JSON.parse(ran.stdout) as { items: Array<{ kind: string }> }).items;
  return {
    namespaces: items.filter((item) => item.kind === 'Namespace') as unknown as Generated['namespaces'],
    machines: items.filter((item) => item.kind === 'Machine') as unknown as Generated['machines'],
  };
}

export function kubectl(lab: Lab, args: string[], timeoutMs: number, input?: string) {
  return must('kubectl', args, { env: lab.env, timeoutMs, ...(input === undefined ? {} : { input }) });
}

/**
 * Delete a run's Machines with kubectl (one DELETE per object) and its namespaces, then poll until the
 * Machines are gone (bounded); timed until gone. `--wait=false`: kubectl's own per-object wait runs
 * into its client-side throttling (~5 objects/s; 60 objects took 10.3 s with it, 0.3 s without).
 */
export async function kubectlDelete(lab: Lab, runId: string) {
  const selector = `${RUN_ID_LABEL}=${runId}`;
  const start = performance.now();
  const ran = kubectl(lab, ['delete', 'machines', '-A', '-l', selector, '--wait=false'], 30 * MINUTE);
  let left = Number.NaN;
  for (let i = 0; i < 300; i++) {
    const listed = kubectl(lab, ['get', 'machines', '-A', '-l', selector, '-o', 'name'], 2 * MINUTE);
    left = listed.stdout.split('\n').filter((line) => line !== '').length;
    if (left === 0) break;
    await sleep(1000);
  }
  const seconds = (performance.now() - start) / 1000;
  // the lab's namespace controller finishes them in the background: not part of the timed delete
  kubectl(lab, ['delete', 'namespaces', '-l', selector, '--wait=false'], 2 * MINUTE);
  return {
    seconds: round(seconds, 2),
    deleted: ran.stdout.split('\n').filter((line) => / deleted$/.test(line)).length,
    left,
  };
}

interface VitictlRun {
  result: RunResult;
  seconds: number;
}

/** `cpus`: run it on these CPUs only (taskset -c), e.g. on a core the lab does not use */
export function vitictl(
  lab: Lab,
  args: string[],
  timeoutMs: number,
  allowFailure = false,
  cpus?: string,
): VitictlRun {
  const command = cpus ? ['taskset', '-c', cpus, 'node'] : ['node'];
  const ran = run(command[0]!, [...command.slice(1), bin, ...args], {
    env: lab.env,
    timeoutMs,
    killSignal: 'SIGINT',
  });
  if (ran.status !== 0 && !(allowFailure && ran.status === 1)) {
    throw new Error(
      `vitictl ${args.join(' ')} exited ${ran.status ?? ran.signal}:\n${ran.stderr.slice(-3000)}`,
    );
  }
  return { result: JSON.parse(ran.stdout) as RunResult, seconds: round(ran.ms / 1000, 2) };
}

export const phaseSeconds = (result: RunResult, name: string) =>
  result.phases.find((phase) => phase.name === name)?.seconds ?? null;

/** A --timeline file: one JSON row per object. */
export function readTimeline(file: string): TimelineRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TimelineRow);
}

/** `vitictl apply machines --count N --run-id ID -o json` and `flags`, as users run it. */
export function applyMachines(
  lab: Lab,
  count: number,
  runId: string,
  flags: string[],
  timeoutMs: number,
  allowFailure = false,
): VitictlRun {
  return vitictl(
    lab,
    ['apply', 'machines', '--count', String(count), '--run-id', runId, '-o', 'json', ...flags],
    timeoutMs,
    allowFailure,
  );
}

/**
 * Every thread of the lab's processes (etcd, the API server, the controller manager, the operator) on
 * these CPUs only (taskset -a -p -c): `pinLab(lab, "1")` leaves CPU 0 to a generator pinned there.
 */
export function pinLab(lab: Lab, cpus: string) {
  for (const component of Object.values(lab.state.components)) {
    if (component)
      must('taskset', ['-a', '-p', '-c', cpus, String(component.pid)], { env: lab.env, timeoutMs: MINUTE });
  }
}
