import { compileGoRegexp } from '../../util/go-regexp.js';

/**
 * What vitictl reads from the API server's and etcd's /metrics (names and labels as kube-apiserver
 * v1.37 and etcd v3.6 serve them; older names are the fallbacks). The scrape keeps only these families.
 */

export const API = {
  requests: 'apiserver_request_total',
  duration: 'apiserver_request_duration_seconds',
  sli: 'apiserver_request_sli_duration_seconds',
  inflight: 'apiserver_current_inflight_requests',
  rejected: 'apiserver_flowcontrol_rejected_requests_total',
  wait: 'apiserver_flowcontrol_request_wait_duration_seconds',
  seats: [
    'apiserver_flowcontrol_current_executing_seats',
    'apiserver_flowcontrol_request_concurrency_in_use',
  ],
  etcdRequest: 'etcd_request_duration_seconds',
  watchEvents: 'apiserver_watch_events_total',
  objects: ['apiserver_resource_objects', 'apiserver_storage_objects'],
  /** the time each admission webhook call took, as the API server waited for it */
  admissionWebhook: 'apiserver_admission_webhook_admission_duration_seconds',
  /** the server's own CPU, and the cores its Go runtime may use */
  cpu: 'process_cpu_seconds_total',
  gomaxprocs: 'go_sched_gomaxprocs_threads',
  /** how long its goroutines waited, runnable, for a core: short of CPU, whatever the cause */
  schedLatency: 'go_sched_latencies_seconds',
} as const;

export const ETCD = {
  commit: 'etcd_disk_backend_commit_duration_seconds',
  fsync: 'etcd_disk_wal_fsync_duration_seconds',
} as const;

/** The families kept from each scrape (the rest of a multi-MiB exposition is dropped after parsing). */
export const APISERVER_SELECT = compileGoRegexp(
  `^(${[
    API.requests,
    API.duration,
    API.sli,
    API.inflight,
    API.rejected,
    API.wait,
    ...API.seats,
    API.etcdRequest,
    API.watchEvents,
    ...API.objects,
    API.admissionWebhook,
    API.cpu,
    API.gomaxprocs,
    API.schedLatency,
    ETCD.commit,
    ETCD.fsync,
  ].join('|')})$`,
);

/** Mutating verbs as the API call latency SLO counts them. */
export const MUTATING_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Long-running or streaming calls the SLIs leave out. */
export const NOT_SLI_VERBS = new Set(['WATCH', 'CONNECT', 'WATCHLIST']);
export const NOT_SLI_SUBRESOURCES = new Set(['proxy', 'log', 'exec', 'attach', 'portforward']);

/** The API call latency SLO thresholds (p99), in ms. */
export const SLI_THRESHOLDS_MS = {
  mutating: 1000,
  reads: 1000,
  'list-namespace': 5000,
  'list-cluster': 30_000,
} as const;
