import { JsHistogram } from 'hdr-histogram-js';
import { decodeHistogram, type LatencySummary, statMs } from '../../../report/histogram.js';
import type { GroundTruth, RunResult } from '../../../report/run-result.js';
import { maxOf, minOf } from '../../../util/extremes.js';
import { groundTruthNote, retryText } from '../../summary-text.js';
import { count, DASH, ms, tickMs } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { note, section, table } from '../parts.js';
import {
  type Axis,
  COLORS,
  cdf,
  type Layer,
  type LegendItem,
  linearAxis,
  logAxis,
  plot,
} from '../svg-plot.js';

/** A corrupt histogram costs its chart, not the report. decodeHistogram reads only `encoded`. */
export function decode(encoded: string): ReturnType<typeof decodeHistogram> | undefined {
  try {
    return decodeHistogram({ encoded } as LatencySummary);
  } catch {
    return undefined;
  }
}

const CUMULATIVE_SHARE: Axis = {
  min: 0,
  max: 100,
  ticks: [0, 25, 50, 75, 100].map((v) => ({ value: v, label: `${v}%` })),
  title: 'cumulative share',
};

/** (value ms, count) for every recorded HDR bucket; percentiles as a fallback. Layout only. */
function recordedValues(summary: LatencySummary): Array<readonly [number, number]> {
  const histogram = decode(summary.encoded);
  if (!histogram) return [];
  const out: Array<readonly [number, number]> = [];
  if (histogram instanceof JsHistogram) {
    const it = histogram.recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      out.push([v.valueIteratedTo / 1000, v.countAtValueIteratedTo]);
    }
  } else {
    for (let p = 0; p <= 100; p += 0.5)
      out.push([histogram.getValueAtPercentile(p) / 1000, histogram.totalCount / 201]);
  }
  return out.filter(([v, n]) => v > 0 && n > 0);
}

export function distributionSection(result: RunResult, baseline: RunResult | undefined): Html | '' {
  const summary = result.apply?.latency.timeToReady;
  if (!summary || summary.count === 0) return '';
  const values = recordedValues(summary);
  if (values.length === 0) return '';
  const before = baseline?.apply?.latency.timeToReady;
  const baseValues = before && before.count > 0 ? recordedValues(before) : [];
  const all = [...values, ...baseValues].map(([v]) => v);
  const x = logAxis(minOf(all) / 1.05, maxOf(all) * 1.05, 'time to ready (log scale)', tickMs);
  const BINS = 40;
  const lo = Math.log10(x.min);
  const width = (Math.log10(x.max) - lo) / BINS;
  const bins = Array.from({ length: BINS }, () => 0);
  for (const [value, n] of values) {
    const i = Math.min(BINS - 1, Math.max(0, Math.floor((Math.log10(value) - lo) / width)));
    bins[i] = bins[i]! + n;
  }
  const y = linearAxis(0, maxOf(bins), 'objects per bin');
  const y2 = CUMULATIVE_SHARE;
  const bars = bins.flatMap((n, i) => {
    if (n === 0) return [];
    const x0 = 10 ** (lo + i * width);
    const x1 = 10 ** (lo + (i + 1) * width);
    return [{ x0, x1, y: n, color: COLORS.blue, title: `${tickMs(x0)}–${tickMs(x1)}: ${n} objects` }];
  });
  const layers: Layer[] = [
    { kind: 'bars', bars },
    { kind: 'line', points: cdf(values, x), color: COLORS.teal, right: true },
  ];
  const legend: LegendItem[] = [
    { label: 'objects per bin', color: COLORS.blue },
    { label: 'CDF (right axis)', color: COLORS.teal },
  ];
  if (baseValues.length > 0) {
    layers.push({ kind: 'line', points: cdf(baseValues, x), color: COLORS.grey, right: true, dashed: true });
    legend.push({ label: 'baseline CDF', color: COLORS.grey, dashed: true });
  }
  for (const [label, value, color] of [
    ['p50', summary.p50, COLORS.green],
    ['p90', summary.p90, COLORS.amber],
    ['p99', summary.p99, COLORS.red],
  ] as const) {
    layers.push({ kind: 'vline', x: value, color, label: `${label} ${ms(value)}` });
  }
  const chart = plot({ label: 'time-to-ready distribution', x, y, y2, layers, legend });
  return section('distribution', 'Time-to-ready distribution', [
    chart,
    note(
      `${count(summary.count)} objects from the HDR histogram in the run (client clock, create sent → ready seen on the watch); bins are log-spaced.`,
    ),
  ]);
}

/** The last step of time-to-ready split at the audit log's commit: each part's CDF on one log axis. */
function groundTruthChart(truth: GroundTruth): Html | '' {
  const parts = [
    {
      label: "audit commit → watch event read (the server's delivery and vitictl's socket read)",
      summary: truth.commitToRead,
      color: COLORS.blue,
    },
    {
      label: "watch event read → marked ready (vitictl's own part)",
      summary: truth.readToMarked,
      color: COLORS.green,
    },
    {
      label: 'audit commit → marked ready (the whole step)',
      summary: truth.commitToMarked,
      color: COLORS.red,
    },
  ].map((part) => ({ ...part, values: recordedValues(part.summary) }));
  const all = parts.flatMap((part) => part.values.map(([v]) => v));
  if (all.length === 0) return '';
  // reads before the commit was logged are timed as 1 µs: they stand at the axis' left edge
  const x = logAxis(Math.max(minOf(all), 0.01) / 1.05, maxOf(all) * 1.05, 'time (log scale)', tickMs);
  const drawn = parts.filter((part) => part.values.length > 0);
  return plot({
    label: 'where the last step goes',
    x,
    y: CUMULATIVE_SHARE,
    layers: drawn.map((part) => ({ kind: 'line', points: cdf(part.values, x), color: part.color })),
    legend: drawn.map((part) => ({ label: part.label, color: part.color })),
  });
}

export function latencySection(apply: NonNullable<RunResult['apply']>, sets: boolean): Html {
  const row = (name: Part, h: LatencySummary) => [
    name,
    count(h.count),
    ...(h.count === 0
      ? Array.from({ length: 7 }, () => DASH)
      : (['mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'] as const).map((stat) => ms(statMs(h, stat)))),
  ];
  const rows = [
    row('create (client)', apply.latency.create),
    row('time to ready (client)', apply.latency.timeToReady),
    row('time to ready (server clock, 1 s resolution)', apply.latency.serverTimeToReady),
    row('watch lag', apply.latency.watchLag),
  ];
  if (apply.latency.ownLag)
    rows.push(row("vitictl's own part (event read → marked ready)", apply.latency.ownLag));
  const truth = apply.groundTruth;
  if (truth)
    rows.push(
      row('audit commit → watch event read', truth.commitToRead),
      row('watch event read → marked ready', truth.readToMarked),
      row('audit commit → marked ready', truth.commitToMarked),
    );
  if (sets && apply.sets.length > 1) {
    for (const set of apply.sets) {
      rows.push(row(html`<span class="dim">${set.set}:</span> create`, set.latency.create));
      if (set.waited)
        rows.push(row(html`<span class="dim">${set.set}:</span> time to ready`, set.latency.timeToReady));
    }
  }
  return section('latency', 'Latency percentiles', [
    table(['latency', 'samples', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'], rows, 'num'),
    ...(truth ? [groundTruthChart(truth), note(groundTruthNote(truth))] : []),
  ]);
}

export function rateSection(apply: NonNullable<RunResult['apply']>): Html | '' {
  if (apply.series.length === 0) return '';
  const last = apply.series[apply.series.length - 1]!.t;
  const peak = Math.max(maxOf(apply.series.flatMap((s) => [s.created, s.ready])), apply.requestedRate ?? 0);
  const layers: Layer[] = [
    {
      kind: 'line',
      points: apply.series.map((s) => [s.t, s.created] as const),
      color: COLORS.blue,
      dots: true,
    },
    {
      kind: 'line',
      points: apply.series.map((s) => [s.t, s.ready] as const),
      color: COLORS.green,
      dots: true,
    },
  ];
  const legend: LegendItem[] = [
    { label: 'created per second', color: COLORS.blue },
    { label: 'ready per second', color: COLORS.green },
  ];
  if (apply.mode === 'open' && apply.requestedRate !== null) {
    layers.push({
      kind: 'hline',
      y: apply.requestedRate,
      color: COLORS.grey,
      label: `requested ${apply.requestedRate}/s`,
    });
    legend.push({ label: 'requested rate', color: COLORS.grey, dashed: true });
  }
  const chart = plot({
    label: 'achieved rate over time',
    x: linearAxis(0, Math.max(1, last), 'seconds since the first start', (v) => `${v}s`),
    y: linearAxis(0, peak * 1.1, 'objects per second'),
    layers,
    legend,
  });
  const errors = Object.entries(apply.errors);
  const w = apply.watch;
  const lines: Part[] = [
    `errors: ${errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code}×${n}`).join(', ')} · ${retryText(apply)}`,
    `watch: ${w.scope}, ${w.watches} watch(es), ${w.reconnects} reconnects, ${w.relists} relists, ${w.readyFromRelist} ready from a relist, ${w.eventsBeforeAck} events before the create answer`,
    ...w.gaps.map(
      (g) =>
        html`<span class="warn">watch gap: ${g.resource} down ${g.seconds.toFixed(1)}s from ${g.start} (${g.reason})</span>`,
    ),
    ...Object.entries(apply.failureReasons)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([reason, n]) => html`<span class="bad">failed ×${n}: ${reason}</span>`),
  ];
  return section('rate', 'Achieved rate over time', [
    chart,
    html`<ul class="plain">${lines.map((l) => html`<li>${l}</li>`)}</ul>`,
  ]);
}
