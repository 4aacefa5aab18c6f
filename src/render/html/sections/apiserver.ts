import type { ApiServerSection } from '../../../report/sections/apiserver.js';
import { maxOf, minOf } from '../../../util/extremes.js';
import { cpuText } from '../../apiserver-views.js';
import { count, DASH, ms, num, perSec } from '../format.js';
import { type Html, html } from '../markup.js';
import { badge, facts, note, section, table } from '../parts.js';
import { COLORS, linearAxis, plot } from '../svg-plot.js';

/** Mutating p99 (left axis) and the API server's request rate (right axis) per scrape interval. */
function overTime(series: ApiServerSection['series']) {
  if (series.length < 2) return '';
  const p99 = series.flatMap((point) =>
    point.mutatingP99Ms === null ? [] : [[point.t, point.mutatingP99Ms] as const],
  );
  const rate = series.map((point) => [point.t, point.requestsPerSecond] as const);
  const minT = Math.min(0, minOf(series.map((point) => point.t)));
  const maxT = Math.max(1, maxOf(series.map((point) => point.t)));
  return plot({
    label: 'API server mutating p99 and request rate over time',
    x: linearAxis(minT, maxT, 'seconds since the load began'),
    y: linearAxis(0, Math.max(1, maxOf(p99.map(([, v]) => v))) * 1.1, 'mutating p99 (ms)'),
    y2: linearAxis(0, Math.max(1, maxOf(rate.map(([, v]) => v))) * 1.1, 'requests/s'),
    layers: [
      { kind: 'line', points: p99, color: COLORS.blue, dots: p99.length < 60 },
      { kind: 'line', points: rate, color: COLORS.amber, dashed: true, right: true },
    ],
    legend: [
      { label: 'mutating p99 (ms, left)', color: COLORS.blue },
      { label: 'requests/s (right)', color: COLORS.amber, dashed: true },
    ],
  });
}

export function apiserverSection(a: ApiServerSection): Html {
  const fc = a.flowControl;
  return section(
    'apiserver',
    'API server and etcd',
    html`<p class="dim">${a.target}${a.etcdTarget ? ` · etcd ${a.etcdTarget}` : ''} · ${a.scrapes} scrapes over ${num(a.windowSeconds, 1)}s, ${a.failures} failed</p>
${facts([
  ['requests', `${count(a.requests)} (${count(a.mutatingRequests)} mutating)`],
  ['rejected (flow control)', fc.rejected === null ? 'not served' : count(fc.rejected)],
  [
    'in flight max',
    `${a.inflight.mutatingMax ?? DASH} mutating · ${a.inflight.readOnlyMax ?? DASH} read-only`,
  ],
  ['etcd request p99', ms(a.etcd.requestP99Ms)],
  ['etcd commit / fsync p99', `${ms(a.etcd.commitP99Ms)} / ${ms(a.etcd.fsyncP99Ms)}`],
  ...(a.cpu.cores !== null ? [['cpu', cpuText(a)] as [string, string]] : []),
])}
${table(
  ['API call SLI', 'requests', 'p99', 'threshold', 'verdict'],
  a.sli.checks.map((c) => [
    c.name,
    count(c.requests),
    ms(c.p99Ms),
    ms(c.thresholdMs),
    c.verdict === 'no-data' ? 'no data' : badge(c.verdict === 'pass'),
  ]),
)}
${note(`SLIs from ${a.sli.source}`)}
${
  a.admissionWebhooks.length > 0
    ? table(
        ['admission webhook', 'type', 'calls', 'rate', 'mean', 'p99', 'rejected'],
        a.admissionWebhooks.map((w) => [
          w.name,
          w.type,
          count(w.requests),
          perSec(w.perSecond),
          ms(w.meanMs),
          ms(w.p99Ms),
          count(w.rejected),
        ]),
      )
    : ''
}
${overTime(a.series)}
${table(
  ['verb', 'resource', 'requests', 'rate', 'p50', 'p99'],
  a.byVerbResource
    .slice(0, 10)
    .map((r) => [r.verb, r.resource, count(r.requests), perSec(r.perSecond), ms(r.p50Ms), ms(r.p99Ms)]),
)}
${
  fc.rejectedBy.length + fc.waitP99Ms.length > 0
    ? table(
        ['priority level', 'rejected', 'wait p99'],
        [
          ...new Set([
            ...fc.rejectedBy.map((r) => r.priorityLevel),
            ...fc.waitP99Ms.map((w) => w.priorityLevel),
          ]),
        ].map((level) => [
          level,
          count(fc.rejectedBy.filter((r) => r.priorityLevel === level).reduce((s, r) => s + r.requests, 0)),
          ms(fc.waitP99Ms.find((w) => w.priorityLevel === level)?.p99Ms),
        ]),
      )
    : ''
}`,
  );
}
