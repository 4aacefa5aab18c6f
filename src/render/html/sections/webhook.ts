import type { WebhookResult } from '../../../report/sections/webhook.js';
import { maxOf, minOf } from '../../../util/extremes.js';
import { formatUs } from '../../webhook-views.js';
import { count, perSec, tickMs } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { facts, section, table } from '../parts.js';
import { COLORS, type Layer, type LegendItem, logAxis, type Point, plot } from '../svg-plot.js';
import { decode } from './latency.js';

/** x = log10(1 / (1 − p)): 50% → 0.3, 90% → 1, 99% → 2, 99.9% → 3 */
const PERCENTILE_TICKS: Array<[number, string]> = [
  [0, 'p0'],
  [Math.log10(2), 'p50'],
  [1, 'p90'],
  [2, 'p99'],
  [3, 'p99.9'],
  [4, 'p99.99'],
];

function percentileCurve(encoded: string, toMs: number): Point[] {
  const histogram = decode(encoded);
  if (!histogram) return [];
  const points: Point[] = [];
  for (let x = 0; x <= 4.0001; x += 0.05) {
    points.push([x, histogram.getValueAtPercentile(100 * (1 - 10 ** -x)) * toMs]);
  }
  return points;
}

export function webhookSection(w: WebhookResult): Html {
  const summaries = [
    [w.engine === 'open-loop' ? 'from intended start' : 'per request', w.latency, COLORS.purple, false],
    ['from send (uncorrected)', w.latencyUncorrected, COLORS.grey, true],
  ] as const;
  const rows: Part[][] = [];
  const layers: Layer[] = [];
  const legend: LegendItem[] = [];
  for (const [name, l, color, dashed] of summaries) {
    if (!l || l.count === 0) continue;
    rows.push([name, count(l.count), ...[l.p50, l.p90, l.p99, l.p999, l.p9999, l.max].map(formatUs)]);
    const points = percentileCurve(l.encoded, 1 / 1000);
    if (points.length > 0) {
      layers.push({ kind: 'line', points, color, dashed });
      legend.push({ label: name, color, dashed });
    }
  }
  if (w.autocannonLatencyMs) {
    const a = w.autocannonLatencyMs;
    rows.push(['autocannon (1 ms resolution)', '', `${a.p50}ms`, '', `${a.p99}ms`, '', '', `${a.max}ms`]);
  }
  const ys = layers.flatMap((layer) => (layer.kind === 'line' ? layer.points.map(([, y]) => y) : []));
  const chart =
    ys.length > 0
      ? plot({
          label: 'webhook latency by percentile',
          x: {
            min: 0,
            max: 4,
            ticks: PERCENTILE_TICKS.map(([value, label]) => ({ value, label })),
            title: 'percentile',
          },
          y: logAxis(Math.max(1e-3, minOf(ys)), maxOf(ys), 'latency (log scale)', tickMs),
          layers,
          legend,
        })
      : '';
  const buckets = w.apiServerBuckets
    .map((b) => `${b.le === '+Inf' ? '+Inf' : tickMs(b.le * 1000)} ${count(b.count)}`)
    .join(' · ');
  const c = w.counts;
  return section('webhook', 'Webhook latency', [
    facts([
      [
        'target',
        `${w.target.url} (${w.target.type}, failurePolicy ${w.target.failurePolicy}, timeout ${w.target.timeoutSeconds}s)`,
      ],
      [
        'load',
        `${w.engine}: ${w.load.requestedRate === null ? `${w.load.connections} connections` : `${w.load.requestedRate}/s requested`} → ${perSec(w.load.achievedRate)} · ${count(w.requests.sent)} sent in ${w.load.durationSeconds.toFixed(1)}s`,
      ],
      [
        'answers',
        `allowed ${count(c.okAllowed)} · denied ${count(c.okDenied)} · HTTP errors ${count(c.httpError)} · timeouts ${count(c.timeout)} · would fail ${count(c.wouldFail)}`,
      ],
      ['TLS', `${w.tls.verified}${w.tls.insecureSkipTlsVerify ? ' (insecure-skip-tls-verify)' : ''}`],
      ['generator', w.generator.keptUp ? 'kept up' : 'fell behind'],
      ['API-server buckets (le → count)', buckets],
    ]),
    table(['latency', 'samples', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max'], rows, 'num'),
    chart,
    w.notes.length > 0 ? html`<ul class="plain">${w.notes.map((n) => html`<li>${n}</li>`)}</ul>` : '',
  ]);
}
