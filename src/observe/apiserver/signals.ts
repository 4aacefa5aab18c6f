import type { ApiServerSection, SliCheck } from '../../report/sections/apiserver.js';
import { maxOf } from '../../util/extremes.js';
import type { Labels, Matcher, TargetStore } from '../metrics/store.js';
import {
  API,
  ETCD,
  MUTATING_VERBS,
  NOT_SLI_SUBRESOURCES,
  NOT_SLI_VERBS,
  SLI_THRESHOLDS_MS,
} from './families.js';

/**
 * The API server's signals over a window of scrapes (from..to), from counter increases and histogram
 * bucket deltas (TargetStore); etcd's own disk latencies when its store is given. Pure: no I/O.
 */

type Measured = Omit<ApiServerSection, 'target' | 'etcdTarget' | 'failures' | 'lastFailure'>;

const msOrNull = (seconds: number): number | null => (Number.isFinite(seconds) ? seconds * 1000 : null);
const resourceOf = (labels: Labels) =>
  `${labels.resource ?? ''}${labels.group ? `.${labels.group}` : ''}${labels.subresource ? `/${labels.subresource}` : ''}`;

/** A call the latency SLIs count: a resource request, not a watch, proxy or stream. */
const sliCall: Matcher = (l) =>
  (l.resource ?? '') !== '' &&
  !NOT_SLI_VERBS.has(l.verb ?? '') &&
  !NOT_SLI_SUBRESOURCES.has(l.subresource ?? '');

const CLASSES: Record<SliCheck['name'], Matcher> = {
  mutating: (l) => sliCall(l) && MUTATING_VERBS.has(l.verb ?? ''),
  reads: (l) => sliCall(l) && l.verb === 'GET' && l.scope === 'resource',
  'list-namespace': (l) => sliCall(l) && l.verb === 'LIST' && l.scope === 'namespace',
  'list-cluster': (l) => sliCall(l) && l.verb === 'LIST' && l.scope === 'cluster',
};

/** Distinct values of `keys` over the series of `name` (the label sets a breakdown iterates). */
function groups(store: TargetStore, name: string, keys: string[]): Labels[] {
  const seen = new Map<string, Labels>();
  for (const column of store.columns(name)) {
    const picked = Object.fromEntries(keys.map((k) => [k, column.labels[k] ?? '']));
    seen.set(JSON.stringify(picked), picked);
  }
  return [...seen.values()];
}
const matching =
  (picked: Labels, also: Matcher = () => true): Matcher =>
  (l) =>
    also(l) && Object.entries(picked).every(([k, v]) => (l[k] ?? '') === v);

/** The last scrape at or before `startMs`: the window's first point, so increases cover the load alone. */
export function windowFrom(store: TargetStore, startMs: number): number {
  let from = 0;
  while (from + 1 < store.size && (store.times[from + 1] as number) <= startMs) from++;
  return from;
}

/** Signals from the scrape at or before `startMs` to the last one (series t: seconds since startMs). */
export function computeApiServerSignals(
  api: TargetStore,
  etcd: TargetStore | undefined,
  startMs: number,
): Measured {
  const from = windowFrom(api, startMs);
  const to = api.size - 1;
  const seconds = api.seconds(from, to);
  const perSecond = (n: number) => (seconds > 0 ? n / seconds : 0);
  const p = (family: string, q: number, match?: Matcher, a = from, b = to) =>
    msOrNull(api.quantile(family, q, match, a, b));
  const sliFamily = api.has(`${API.sli}_count`) ? API.sli : API.duration;
  const mutating = CLASSES.mutating;

  const byVerbResource = groups(api, `${API.duration}_count`, ['verb', 'group', 'resource', 'subresource'])
    .map((picked) => {
      const match = matching(picked);
      const requests = api.histogramDelta(API.duration, match, from, to).count;
      return {
        verb: picked.verb ?? '',
        resource: resourceOf(picked) || '(non-resource)',
        requests,
        perSecond: perSecond(requests),
        p50Ms: p(API.duration, 0.5, match),
        p99Ms: p(API.duration, 0.99, match),
      };
    })
    .filter((row) => row.requests > 0)
    .sort((a, b) => b.requests - a.requests)
    .slice(0, 20);

  const checks = (Object.keys(CLASSES) as SliCheck['name'][]).map((name): SliCheck => {
    const requests = api.histogramDelta(sliFamily, CLASSES[name], from, to).count;
    const p99Ms = requests > 0 ? p(sliFamily, 0.99, CLASSES[name]) : null;
    const thresholdMs = SLI_THRESHOLDS_MS[name];
    return {
      name,
      requests,
      p99Ms,
      thresholdMs,
      verdict: p99Ms === null ? 'no-data' : p99Ms <= thresholdMs ? 'pass' : 'fail',
    };
  });

  const apf =
    api.has(`${API.wait}_count`) || API.seats.some((name) => api.has(name)) || api.has(API.rejected);
  const rejectedBy = groups(api, API.rejected, ['priority_level', 'reason'])
    .map((picked) => ({
      priorityLevel: picked.priority_level ?? '',
      reason: picked.reason ?? '',
      requests: api.increase(API.rejected, matching(picked), from, to),
    }))
    .filter((row) => row.requests > 0);
  const waitP99Ms = groups(api, `${API.wait}_count`, ['priority_level'])
    .map((picked) => ({
      priorityLevel: picked.priority_level ?? '',
      requests: api.histogramDelta(API.wait, matching(picked), from, to).count,
      p99Ms: p(API.wait, 0.99, matching(picked)),
    }))
    .filter((row) => row.requests > 0);
  const seatsSource = API.seats.find((name) => api.has(name)) ?? null;
  const seatsMax = seatsSource
    ? groups(api, seatsSource, ['priority_level']).map((picked) => {
        const values = api.gaugeSeries(seatsSource, matching(picked)).slice(from, to + 1);
        return {
          priorityLevel: picked.priority_level ?? '',
          seats: Math.max(0, maxOf(values.filter((v) => !Number.isNaN(v)))),
        };
      })
    : [];

  const inflightMax = (kind: string) => {
    const values = api.gaugeValues(API.inflight, (l) => l.request_kind === kind, from, to);
    return values.length > 0 ? maxOf(values) : null;
  };

  const etcdP99 = (family: string) =>
    etcd ? msOrNull(etcd.quantile(family, 0.99, undefined, windowFrom(etcd, startMs), etcd.size - 1)) : null;
  const watchEvents = groups(api, API.watchEvents, ['group', 'resource'])
    .map((picked) => ({
      resource: resourceOf(picked),
      perSecond: perSecond(api.increase(API.watchEvents, matching(picked), from, to)),
    }))
    .filter((row) => row.perSecond > 0)
    .sort((a, b) => b.perSecond - a.perSecond);
  const admissionWebhooks = groups(api, `${API.admissionWebhook}_count`, ['name', 'type'])
    .map((picked) => {
      const delta = api.histogramDelta(API.admissionWebhook, matching(picked), from, to);
      return {
        name: picked.name ?? '',
        type: picked.type ?? '',
        requests: delta.count,
        perSecond: perSecond(delta.count),
        meanMs: delta.count > 0 ? (delta.sum / delta.count) * 1000 : 0,
        p99Ms: p(API.admissionWebhook, 0.99, matching(picked)),
        rejected: api.histogramDelta(
          API.admissionWebhook,
          matching({ ...picked, rejected: 'true' }),
          from,
          to,
        ).count,
      };
    })
    .filter((row) => row.requests > 0)
    .sort((a, b) => b.meanMs - a.meanMs);
  const mutatingAll = api.histogramDelta(API.duration, (l) => MUTATING_VERBS.has(l.verb ?? ''), from, to);
  const objectsSource = API.objects.find((name) => api.has(name)) ?? null;
  const objects = objectsSource
    ? groups(api, objectsSource, ['group', 'resource'])
        .map((picked) => ({
          resource: resourceOf(picked),
          count: api.latest(objectsSource, matching(picked)) ?? 0,
        }))
        .filter((row) => row.count > 0)
        .sort((a, b) => b.count - a.count)
        .slice(0, 20)
    : [];

  const series: Measured['series'] = [];
  const inflightSeries = api.gaugeSeries(API.inflight);
  for (let i = from + 1; i <= to; i++) {
    const dt = api.seconds(i - 1, i);
    const inflight = inflightSeries[i];
    series.push({
      t: Math.round(((api.times[i] ?? 0) - startMs) / 10) / 100,
      requestsPerSecond: dt > 0 ? api.increase(API.requests, undefined, i - 1, i) / dt : 0,
      mutatingP99Ms: p(sliFamily, 0.99, mutating, i - 1, i),
      inflight: inflight === undefined || Number.isNaN(inflight) ? null : inflight,
    });
  }

  return {
    windowSeconds: seconds,
    scrapes: to - from + 1,
    requests: api.increase(API.requests, undefined, from, to),
    mutatingRequests: api.increase(API.requests, (l) => MUTATING_VERBS.has(l.verb ?? ''), from, to),
    byVerbResource,
    sli: {
      source: sliFamily,
      checks,
      listP99Ms: p(sliFamily, 0.99, (l) => sliCall(l) && l.verb === 'LIST'),
    },
    flowControl: {
      rejected: apf ? rejectedBy.reduce((sum, row) => sum + row.requests, 0) : null,
      rejectedBy,
      waitP99Ms,
      seatsSource,
      seatsMax,
    },
    inflight: { mutatingMax: inflightMax('mutating'), readOnlyMax: inflightMax('readOnly') },
    etcd: {
      requestP99Ms: p(API.etcdRequest, 0.99),
      commitP99Ms: etcdP99(ETCD.commit),
      fsyncP99Ms: etcdP99(ETCD.fsync),
    },
    cpu: {
      cores: api.has(API.cpu) && seconds > 0 ? api.increase(API.cpu, undefined, from, to) / seconds : null,
      gomaxprocs: api.latest(API.gomaxprocs) ?? null,
      schedWaitP99Ms: api.has(`${API.schedLatency}_count`) ? p(API.schedLatency, 0.99) : null,
    },
    mutatingMeanMs: mutatingAll.count > 0 ? (mutatingAll.sum / mutatingAll.count) * 1000 : null,
    admissionWebhooks,
    watchEvents,
    objectsSource,
    objects,
    series,
  };
}
