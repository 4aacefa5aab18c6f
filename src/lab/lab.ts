import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { interruptedError, runtimeError } from '../errors.js';
import { connect } from '../kube/connect.js';
import { apiserverArgs, controllerManagerArgs, etcdArgs, type LabUpOptions, operatorArgs } from './args.js';
import { auditArgs } from './audit.js';
import { buildLab, type Progress } from './build.js';
import { makeCerts } from './certs.js';
import {
  deadParts,
  LABEL,
  readyCheck,
  resumeLab,
  START_TIMEOUT_MS,
  startAgain,
  waitUntil,
} from './components.js';
import { probe } from './http-probe.js';
import {
  defaultPerformanceYaml,
  installCrds,
  installOperatorConfig,
  installOperatorIdentity,
  OPERATOR_SERVICE_ACCOUNT,
  registerWebhook,
} from './install.js';
import { writeKubeconfig } from './kubeconfig.js';
import { withLabLock } from './lock.js';
import { assertPortFree, freePorts } from './ports.js';
import { isRunning, startDetached, stopComponent } from './process.js';
import {
  type ComponentState,
  hasStateFile,
  type LabState,
  labDir,
  readState,
  removeStateFile,
  writeState,
} from './state.js';
import { resolveVitistackApi } from './vitistack-api.js';

export type { LabUpOptions } from './args.js';

export type LabUpResult =
  | { alreadyRunning: true; state: LabState }
  | {
      alreadyRunning: false;
      state: LabState;
      seconds: number;
      /** components of an existing lab started again on its data, ports and certificates; empty: a fresh lab */
      restarted: string[];
    };

async function stopAll(components: ComponentState[]): Promise<void> {
  for (const component of [...components].reverse()) await stopComponent(component);
}

/**
 * Build what is missing, start etcd, kube-apiserver, kube-controller-manager and the operator, install
 * CRDs, config and webhook;
 * or, when this directory holds a lab, start again those of its components that are not running.
 */
export async function labUp(options: LabUpOptions, progress: Progress): Promise<LabUpResult> {
  const dir = options.dir ?? labDir(options.env);
  return withLabLock(dir, { progress, signal: options.signal }, () => upLocked(dir, options, progress));
}

async function upLocked(dir: string, options: LabUpOptions, progress: Progress): Promise<LabUpResult> {
  const started = Date.now();
  const { signal } = options;
  const existing = await readState(dir);
  if (existing) {
    const dead = deadParts(existing);
    if (dead.length === 0) return { alreadyRunning: true, state: existing };
    const state = await resumeLab(existing, dead, progress, signal);
    return {
      alreadyRunning: false,
      state,
      seconds: (Date.now() - started) / 1000,
      restarted: dead.map((part) => LABEL[part]),
    };
  }
  if (hasStateFile(dir))
    throw runtimeError(`the lab state in ${dir} cannot be read, so its lab cannot be restarted`, {
      hint: 'vitictl lab down removes it (and the stored objects of that lab); then vitictl lab up starts a fresh lab',
    });

  const binaries = await buildLab(progress, options.env, signal);
  const api = await resolveVitistackApi(options.env);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  progress('making certificates');
  const certs = await makeCerts(join(dir, 'pki'));

  const fixed = options.ports ?? {};
  for (const [name, port] of Object.entries(fixed)) if (port) await assertPortFree(port, name);
  const [etcd, etcdPeer, apiserver, controllerManager, metrics, health, pprof, webhook] = await freePorts(8);
  const ports: Required<LabState['ports']> = {
    etcd: fixed.etcd ?? (etcd as number),
    etcdPeer: fixed.etcdPeer ?? (etcdPeer as number),
    apiserver: fixed.apiserver ?? (apiserver as number),
    controllerManager: fixed.controllerManager ?? (controllerManager as number),
    metrics: fixed.metrics ?? (metrics as number),
    health: fixed.health ?? (health as number),
    pprof: fixed.pprof ?? (pprof as number),
    webhook: fixed.webhook ?? (webhook as number),
  };
  const started_: ComponentState[] = [];
  try {
    progress(`starting etcd on 127.0.0.1:${ports.etcd}`);
    const etcdProc = startDetached(
      binaries.etcd,
      etcdArgs(join(dir, 'etcd-data'), ports, options.unsafeNoFsync ?? false),
      join(dir, 'logs', 'etcd.log'),
    );
    started_.push(etcdProc);
    const where = { dir, ports, certs: { ca: certs.ca, webhookDir: certs.webhookDir } };
    await waitUntil('etcd', etcdProc, readyCheck(where, 'etcd'), START_TIMEOUT_MS.etcd, signal);

    progress(`starting kube-apiserver on 127.0.0.1:${ports.apiserver}`);
    const apiProc = startDetached(
      binaries.kubeApiserver,
      [...apiserverArgs(dir, ports, certs), ...(await auditArgs(dir))],
      join(dir, 'logs', 'kube-apiserver.log'),
    );
    started_.push(apiProc);
    const tls = { ca: certs.ca, cert: certs.adminCert, key: certs.adminKey };
    const base = `https://127.0.0.1:${ports.apiserver}`;
    const apiReady = readyCheck(where, 'apiserver');
    await waitUntil(
      'kube-apiserver',
      apiProc,
      async () =>
        (await apiReady()) && (await probe(`${base}/api/v1/namespaces/default`, tls)).status === 200,
      START_TIMEOUT_MS.apiserver,
      signal,
    );
    const version = JSON.parse((await probe(`${base}/version`, tls)).body) as { gitVersion: string };

    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, ports.apiserver, certs.ca, {
      name: 'vitictl-admin',
      cert: certs.adminCert,
      key: certs.adminKey,
    });

    progress(`starting kube-controller-manager on 127.0.0.1:${ports.controllerManager}`);
    const controllerManagerKubeconfig = join(dir, 'controller-manager.kubeconfig');
    await writeKubeconfig(controllerManagerKubeconfig, ports.apiserver, certs.ca, {
      name: 'system:kube-controller-manager',
      cert: certs.controllerManagerCert,
      key: certs.controllerManagerKey,
    });
    const controllerManagerProc = startDetached(
      binaries.kubeControllerManager,
      controllerManagerArgs(controllerManagerKubeconfig, ports.controllerManager, certs),
      join(dir, 'logs', 'kube-controller-manager.log'),
    );
    started_.push(controllerManagerProc);
    await waitUntil(
      'kube-controller-manager',
      controllerManagerProc,
      readyCheck(where, 'controllerManager'),
      START_TIMEOUT_MS.controllerManager,
      signal,
    );

    const connection = await connect({ kubeconfig });
    progress(`installing the CRDs of ${api.module} ${api.version} and the performance ConfigMap`);
    await installCrds(connection, api.crdDir);
    await installOperatorConfig(
      connection,
      options.performanceYaml ?? defaultPerformanceYaml(options.workers ?? 4),
    );

    if (signal?.aborted) throw interruptedError('interrupted while the lab was installing', signal);
    const operatorKubeconfig = join(dir, 'operator.kubeconfig');
    await writeKubeconfig(operatorKubeconfig, ports.apiserver, certs.ca, {
      name: OPERATOR_SERVICE_ACCOUNT,
      token: await installOperatorIdentity(connection),
    });
    const args = operatorArgs({ ...where, kubeconfig: operatorKubeconfig }, options);
    let operatorProc: ComponentState | undefined;
    if (options.operator !== false) {
      progress(
        `starting the operator (metrics :${ports.metrics}, health :${ports.health}, pprof :${ports.pprof}, webhook :${ports.webhook})`,
      );
      operatorProc = startDetached(binaries.operator, args, join(dir, 'logs', 'operator.log'));
      started_.push(operatorProc);
      await waitUntil(
        LABEL.operator,
        operatorProc,
        readyCheck(where, 'operator'),
        START_TIMEOUT_MS.operator,
        signal,
      );
      if (options.webhook !== false) {
        await registerWebhook(connection, ports.webhook, certs.ca);
      }
    }
    const state: LabState = {
      schemaVersion: 1,
      dir,
      startedAt: new Date().toISOString(),
      kubernetesVersion: version.gitVersion,
      vitistackApi: { module: api.module, version: api.version },
      kubeconfig,
      binDir: binaries.binDir,
      ports,
      components: {
        etcd: etcdProc,
        apiserver: apiProc,
        controllerManager: controllerManagerProc,
        ...(operatorProc ? { operator: operatorProc } : {}),
      },
      operatorArgs: args,
      certs: where.certs,
    };
    await writeState(state);
    return { alreadyRunning: false, state, seconds: (Date.now() - started) / 1000, restarted: [] };
  } catch (error) {
    await stopAll(started_);
    if (signal?.aborted) {
      // nothing of this lab is left running: its directory goes too, as after lab down
      await rm(dir, { recursive: true, force: true });
      throw interruptedError(
        `interrupted: lab up stopped what it had started (${started_.length} of its components); no lab is running`,
        signal,
      );
    }
    throw error;
  }
}

export interface LabDownResult {
  wasRunning: boolean;
  stopped: Array<{ component: string; pid: number; outcome: string }>;
}

export async function labDown(
  dir: string = labDir(),
  progress: Progress = () => undefined,
): Promise<LabDownResult> {
  return withLabLock(dir, { progress }, () => downLocked(dir));
}

async function downLocked(dir: string): Promise<LabDownResult> {
  const state = await readState(dir);
  const stopped: LabDownResult['stopped'] = [];
  if (state) {
    const order: Array<[string, ComponentState | undefined]> = [
      ['operator', state.components.operator],
      ['kube-controller-manager', state.components.controllerManager],
      ['kube-apiserver', state.components.apiserver],
      ['etcd', state.components.etcd],
    ];
    for (const [component, proc] of order) {
      if (proc) stopped.push({ component, pid: proc.pid, outcome: await stopComponent(proc) });
    }
    await removeStateFile(dir);
  }
  await rm(dir, { recursive: true, force: true });
  return { wasRunning: state !== undefined, stopped };
}

export interface ComponentStatus {
  component: string;
  pid: number | undefined;
  running: boolean;
  endpoint: string;
  healthy: boolean;
}

export async function labStatus(
  dir: string = labDir(),
): Promise<{ state: LabState | undefined; components: ComponentStatus[] }> {
  const state = await readState(dir);
  if (!state) return { state: undefined, components: [] };
  const { ports, components } = state;
  const tls = { ca: state.certs.ca };
  const row = async (
    component: string,
    proc: ComponentState | undefined,
    endpoint: string,
    healthUrl: string,
    useTls = false,
  ) => ({
    component,
    pid: proc?.pid,
    running: proc ? isRunning(proc) : false,
    endpoint,
    healthy: proc ? (await probe(healthUrl, useTls ? tls : undefined)).status === 200 : false,
  });
  return {
    state,
    components: [
      await row(
        'etcd',
        components.etcd,
        `http://127.0.0.1:${ports.etcd}`,
        `http://127.0.0.1:${ports.etcd}/health`,
      ),
      // /livez is readable without credentials (system:public-info-viewer)
      await row(
        'kube-apiserver',
        components.apiserver,
        `https://127.0.0.1:${ports.apiserver}`,
        `https://127.0.0.1:${ports.apiserver}/livez`,
        true,
      ),
      ...(components.controllerManager
        ? [
            await row(
              'kube-controller-manager',
              components.controllerManager,
              `https://127.0.0.1:${ports.controllerManager}`,
              `https://127.0.0.1:${ports.controllerManager}/healthz`,
              true,
            ),
          ]
        : []),
      ...(components.operator
        ? [
            await row(
              'operator',
              components.operator,
              `metrics :${ports.metrics} · pprof :${ports.pprof} · webhook :${ports.webhook}`,
              `http://127.0.0.1:${ports.health}/healthz`,
            ),
          ]
        : []),
    ],
  };
}

/**
 * Stop kube-apiserver (SIGKILL: a crash, not a graceful stop), wait `downMs`, start it again with the
 * same flags and wait until it is ready. For reliability tests; etcd keeps the data.
 */
export async function restartApiserver(dir: string, downMs: number): Promise<LabState> {
  const state = await readState(dir);
  if (!state) throw runtimeError('no lab is running', { hint: 'vitictl lab up' });
  const old = state.components.apiserver;
  if (isRunning(old)) process.kill(old.pid, 'SIGKILL');
  while (isRunning(old)) await sleep(20);
  await sleep(downMs);
  return startAgain(state, 'apiserver');
}
