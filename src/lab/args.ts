// The command lines of the lab's components, from its ports, certificates and options.
import { join } from 'node:path';
import type { LabCerts } from './certs.js';
import type { LabState } from './state.js';

export interface LabUpOptions {
  dir?: string;
  /** initial performance.yaml; default: defaultPerformanceYaml(workers) */
  performanceYaml?: string;
  workers?: number;
  /** simulated provisioning time distribution, passed to the operator (--provision-time) */
  provisionTime?: string;
  /** per kind (e.g. KubernetesCluster), instead of provisionTime (--provision-time-for) */
  provisionTimeFor?: Record<string, string>;
  apiCallsPerReconcile?: number;
  failureRate?: number;
  /** simulated processing time of each admission request (--webhook-latency), same syntax */
  webhookLatency?: string;
  /** etcd --unsafe-no-fsync: fast, for tests; never for numbers you report */
  unsafeNoFsync?: boolean;
  operator?: boolean;
  webhook?: boolean;
  ports?: Partial<LabState['ports']>;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C or SIGTERM: stop what was started so far, leave no lab behind */
  signal?: AbortSignal | undefined;
}

export function etcdArgs(dataDir: string, ports: LabState['ports'], unsafeNoFsync: boolean): string[] {
  const client = `http://127.0.0.1:${ports.etcd}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=lab',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=lab=${peer}`,
    '--quota-backend-bytes=8589934592',
    '--log-level=warn',
    ...(unsafeNoFsync ? ['--unsafe-no-fsync'] : []),
  ];
}

export function apiserverArgs(dir: string, ports: LabState['ports'], certs: LabCerts): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiserver}`,
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${certs.apiserverCert}`,
    `--tls-private-key-file=${certs.apiserverKey}`,
    `--client-ca-file=${certs.ca}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${certs.serviceAccountPub}`,
    `--service-account-signing-key-file=${certs.serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
  ];
}

/**
 * The controllers the lab runs: namespace deletion (a deleted namespace goes away instead of staying
 * Terminating) and owner-reference garbage collection. Why only these: docs/decisions.md.
 */
export const LAB_CONTROLLERS = ['namespace-controller', 'garbage-collector-controller'];

/** Its own kubeconfig (system:kube-controller-manager), also for delegated authn/authz of its port. */
export function controllerManagerArgs(kubeconfig: string, port: number, certs: LabCerts): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${certs.controllerManagerCert}`,
    `--tls-private-key-file=${certs.controllerManagerKey}`,
    '--leader-elect=false',
    '--use-service-account-credentials=true',
    `--controllers=${LAB_CONTROLLERS.join(',')}`,
  ];
}

/** `state.kubeconfig`: the operator's own (its service account), not the admin's. */
export function operatorArgs(
  state: Pick<LabState, 'kubeconfig' | 'ports' | 'certs'>,
  options: LabUpOptions,
): string[] {
  return [
    `--kubeconfig=${state.kubeconfig}`,
    `--metrics-bind-address=127.0.0.1:${state.ports.metrics}`,
    `--health-probe-bind-address=127.0.0.1:${state.ports.health}`,
    `--pprof-bind-address=127.0.0.1:${state.ports.pprof}`,
    '--webhook-host=127.0.0.1',
    `--webhook-port=${options.webhook === false ? 0 : state.ports.webhook}`,
    `--webhook-cert-dir=${state.certs.webhookDir}`,
    ...(options.provisionTime ? [`--provision-time=${options.provisionTime}`] : []),
    ...Object.entries(options.provisionTimeFor ?? {}).map(
      ([kind, distribution]) => `--provision-time-for=${kind}=${distribution}`,
    ),
    ...(options.apiCallsPerReconcile !== undefined
      ? [`--api-calls-per-reconcile=${options.apiCallsPerReconcile}`]
      : []),
    ...(options.failureRate !== undefined ? [`--failure-rate=${options.failureRate}`] : []),
    ...(options.webhookLatency ? [`--webhook-latency=${options.webhookLatency}`] : []),
  ];
}
