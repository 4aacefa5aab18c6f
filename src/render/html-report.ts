import { JsHistogram } from 'hdr-histogram-js';
import { decodeHistogram, type LatencySummary } from '../report/histogram.js';
import { formatMetricValue, METRICS } from '../report/metrics.js';
import type { GateResult, RunResult } from '../report/run-result.js';
import type { ControllerSignals } from '../report/sections/signals.js';
import type { TuneResult } from '../report/sections/tune.js';
import type { WebhookResult } from '../report/sections/webhook.js';
import { Html, html, type Part } from './html/markup.js';
import {
  type Axis,
  COLORS,
  cdf,
  type Layer,
  type LegendItem,
  linearAxis,
  logAxis,
  type Point,
  plot,
} from './html/svg-plot.js';
import { unansweredTargetLine, unansweredTargets } from './observe-warnings.js';
import { cleanupText, retryText } from './summary-text.js';
import { formatUs } from './webhook-views.js';

/**
 * `report.html`: one self-contained file (inline CSS, inline SVG drawn here, no script, no network)
 * from one RunResult. Pure: it lays out what was measured (scales, bins, ticks) and computes nothing
 * else. Every string from the data goes through the `html` tag, which escapes by default.
 */

export interface HtmlReportOptions {
  /** a previous run to compare against (before/after) */
  baseline?: RunResult;
  /** the page title; default "vitictl run ‹id› · ‹scenario›" */
  title?: string;
}

// ---------------------------------------------------------------- formatting

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const DASH = '–';
const ms = (v: number | null | undefined) =>
  !isNum(v)
    ? DASH
    : v >= 1000
      ? `${(v / 1000).toFixed(2)}s`
      : v >= 10
        ? `${v.toFixed(0)}ms`
        : `${v.toFixed(1)}ms`;
const secs = (v: number | null | undefined) => (isNum(v) ? ms(v * 1000) : DASH);
const num = (v: number | null | undefined, digits = 2) =>
  !isNum(v) ? DASH : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toFixed(digits));
const perSec = (v: number | null | undefined) => (isNum(v) ? `${num(v, 1)}/s` : DASH);
const pct = (share: number | null | undefined) => (isNum(share) ? `${(share * 100).toFixed(1)}%` : DASH);
const count = (v: number) => v.toLocaleString('en-US');
function bytes(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v >= 2 ** 62) return 'unlimited'; // GOMEMLIMIT's default is math.MaxInt64
  if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(2)} GiB`;
  return `${(v / 2 ** 20).toFixed(1)} MiB`;
}
/** tick labels: short, no trailing zeros */
const tickMs = (v: number) => (v >= 1000 ? `${+(v / 1000).toPrecision(3)}s` : `${+v.toPrecision(3)}ms`);

// ---------------------------------------------------------------- page pieces

const section = (id: string, title: string, body: Part) =>
  html`<section id="${id}"><h2>${title}</h2>${body}</section>`;

function table(head: Part[], rows: Part[][], className = ''): Html {
  return html`<div class="scroll"><table class="${className}"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

const facts = (items: Array<[string, Part]>) =>
  html`<dl class="facts">${items.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
const badge = (passed: boolean, yes = 'pass', no = 'fail') =>
  html`<span class="badge ${passed ? 'ok' : 'bad'}">${passed ? yes : no}</span>`;
const note = (text: Part) => html`<p class="note">${text}</p>`;

function verdict(result: RunResult): Html {
  const gates = result.gates ?? [];
  const failed = gates.filter((g) => !g.passed);
  const c = result.apply?.counts;
  let kind: 'ok' | 'bad' | 'warn' | 'info';
  let head: string;
  const lines: Part[] = [];
  if (result.interrupted) {
    kind = 'warn';
    head = 'Interrupted: partial results';
    if (c)
      lines.push(
        `${c.created} created, ${c.ready} ready, ${c.interrupted} still waiting, ${c.notStarted} not started`,
      );
  } else if (gates.length > 0) {
    kind = failed.length > 0 ? 'bad' : 'ok';
    head =
      failed.length > 0
        ? `FAIL: ${failed.length} of ${gates.length} gates failed`
        : `PASS: all ${gates.length} gates passed`;
  } else if (c) {
    kind = c.failed + c.timedOut === 0 ? 'ok' : 'bad';
    head =
      kind === 'ok'
        ? `OK: ${c.total} objects, ${c.ready} ready${c.notWaited > 0 ? `, ${c.notWaited} not waited on` : ''}`
        : `${c.failed} failed and ${c.timedOut} timed out of ${c.total} objects`;
  } else {
    kind = 'info';
    head = 'No load was applied in this run';
  }
  for (const gate of failed) lines.push(html`<code>${gate.gate}</code>: ${gate.message}`);
  for (const line of unansweredTargets(result)) lines.push(`warning: ${line}`);
  return html`<div class="verdict ${kind}"><strong>${head}</strong>${lines.map((l) => html`<div>${l}</div>`)}</div>`;
}

function runFacts(result: RunResult): Html {
  const items: Array<[string, Part]> = [
    ['run id', html`<code>${result.runId}</code>`],
    ['scenario', html`${result.scenario.name} <span class="dim">(${result.scenario.file})</span>`],
    ['seed · objects', `${result.scenario.seed} · ${count(result.scenario.objects)}`],
    [
      'target',
      html`${result.target.server} <span class="dim">(context ${result.target.context})</span>${result.target.insecureSkipTlsVerify ? html` <span class="badge bad">TLS not verified</span>` : ''}`,
    ],
    ['Kubernetes', result.target.kubernetesVersion],
    ['started', result.startedAt],
    ['ended', result.endedAt],
    ['tool', `${result.tool.name} ${result.tool.version}`],
  ];
  if (result.shard) items.push(['shard', `${result.shard.index + 1} of ${result.shard.count}`]);
  if (result.profile)
    items.push([
      'profile',
      html`${result.profile.name} <span class="dim">(${result.profile.kind}, ${result.profile.file})</span>`,
    ]);
  const a = result.apply;
  if (a) {
    items.push([
      'load',
      a.mode === 'open'
        ? `open loop ${perSec(a.requestedRate)} (burst ${a.burst ?? DASH}) → achieved ${perSec(a.achievedRate)}`
        : `closed loop, ${a.concurrency ?? DASH} in flight → ${perSec(a.achievedRate)} starts`,
    ]);
    items.push([
      'creates',
      `${perSec(a.createThroughput)} acknowledged · max ${a.maxStartsIn100ms} starts in 100 ms${a.lateStarts > 0 ? ` · ${a.lateStarts} late starts` : ''}`,
    ]);
  }
  if (result.overhead) {
    const o = result.overhead;
    items.push([
      'tool overhead',
      `${pct(o.share)} (CPU ${o.cpuSeconds.toFixed(2)}s of ${o.wallSeconds.toFixed(1)}s wall)`,
    ]);
  }
  if (result.cleanup) {
    const c = result.cleanup;
    items.push(['cleanup', `${cleanupText(c).replace(/^cleanup: /, '')}${c.note ? ` · ${c.note}` : ''}`]);
  } else if (a) {
    items.push(['cleanup', html`objects kept: <code>vitictl cleanup --run-id ${result.runId}</code>`]);
  }
  const phases =
    result.phases.length === 0
      ? ''
      : table(
          ['phase', 'start', 'end', 'seconds'],
          result.phases.map((p) => [p.name, p.start, p.end, p.seconds.toFixed(2)]),
          'compact',
        );
  const profiles = result.profiles?.length
    ? html`<h3>Profiles captured at peak</h3>${table(
        ['target', 'profile', 'file', 'bytes'],
        result.profiles.map((p) => [p.target, p.profile, html`<code>${p.file}</code>`, count(p.bytes)]),
      )}`
    : '';
  return section('run', 'Run', [facts(items), phases, profiles]);
}

function gatesSection(gates: GateResult[]): Html {
  const withBaseline = gates.some((g) => g.baseline);
  const head = [
    'gate',
    'value',
    'threshold',
    'result',
    'message',
    ...(withBaseline ? ['baseline ± noise', 'allowed'] : []),
  ];
  const rows = gates.map((g) => [
    html`<code>${g.gate}</code>`,
    g.value === null ? 'not measured' : formatMetricValue(g.value, g.unit),
    isNum(g.threshold) ? `${g.op} ${formatMetricValue(g.threshold, g.unit)}` : g.op,
    badge(g.passed),
    g.message,
    ...(withBaseline
      ? g.baseline
        ? [
            `${formatMetricValue(g.baseline.value, g.unit)} ± ${formatMetricValue(g.baseline.noise, g.unit)}`,
            `+${(g.baseline.allowedRegression * 100).toFixed(0)}% + noise`,
          ]
        : ['', '']
      : []),
  ]);
  return section('gates', 'Gates', table(head, rows));
}

const STATES = [
  ['ready', COLORS.green],
  ['failed', COLORS.red],
  ['timedOut', COLORS.amber],
  ['notWaited', COLORS.grey],
  ['interrupted', COLORS.purple],
  ['notStarted', '#cbd5e1'],
] as const;

function objectsSection(apply: NonNullable<RunResult['apply']>): Html {
  const rows = [
    ...apply.sets.map((s) => ({ name: s.set, kind: s.kind, c: s.counts })),
    { name: 'all sets', kind: '', c: apply.counts },
  ];
  const body = rows.map(({ name, kind, c }) => {
    const sum = STATES.reduce((total, [state]) => total + c[state], 0);
    const bar = STATES.filter(([state]) => c[state] > 0).map(
      ([state, color]) =>
        html`<i style="flex:${c[state]};background:${color}" title="${state} ${c[state]}"></i>`,
    );
    return [
      html`<strong>${name}</strong>`,
      kind,
      count(c.total),
      count(c.created),
      ...STATES.map(([state]) => count(c[state])),
      html`${sum === c.total ? html`<span class="ok">= ${count(sum)}</span>` : html`<span class="bad">${count(sum)} ≠ ${count(c.total)}</span>`}<div class="stack">${bar}</div>`,
    ];
  });
  const legend = STATES.map(
    ([state, color]) =>
      html`<span><i class="sw" style="background:${color};border-color:${color}"></i>${state}</span>`,
  );
  return section('objects', 'Objects', [
    table(['set', 'kind', 'total', 'created', ...STATES.map(([s]) => s), 'states add up'], body, 'objects'),
    html`<div class="legend">${legend}</div>`,
  ]);
}

// ---------------------------------------------------------------- distribution (HDR)

/** A corrupt histogram costs its chart, not the report. decodeHistogram reads only `encoded`. */
function decode(encoded: string): ReturnType<typeof decodeHistogram> | undefined {
  try {
    return decodeHistogram({ encoded } as LatencySummary);
  } catch {
    return undefined;
  }
}

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

function distributionSection(result: RunResult, baseline: RunResult | undefined): Html | '' {
  const summary = result.apply?.latency.timeToReady;
  if (!summary || summary.count === 0) return '';
  const values = recordedValues(summary);
  if (values.length === 0) return '';
  const before = baseline?.apply?.latency.timeToReady;
  const baseValues = before && before.count > 0 ? recordedValues(before) : [];
  const all = [...values, ...baseValues].map(([v]) => v);
  const x = logAxis(Math.min(...all) / 1.05, Math.max(...all) * 1.05, 'time to ready (log scale)', tickMs);
  const BINS = 40;
  const lo = Math.log10(x.min);
  const width = (Math.log10(x.max) - lo) / BINS;
  const bins = Array.from({ length: BINS }, () => 0);
  for (const [value, n] of values) {
    const i = Math.min(BINS - 1, Math.max(0, Math.floor((Math.log10(value) - lo) / width)));
    bins[i] = bins[i]! + n;
  }
  const y = linearAxis(0, Math.max(...bins), 'objects per bin');
  const y2: Axis = {
    min: 0,
    max: 100,
    ticks: [0, 25, 50, 75, 100].map((v) => ({ value: v, label: `${v}%` })),
    title: 'cumulative share',
  };
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

function latencySection(apply: NonNullable<RunResult['apply']>, sets: boolean): Html {
  const row = (name: Part, h: LatencySummary) => [
    name,
    count(h.count),
    ...(h.count === 0
      ? Array.from({ length: 7 }, () => DASH)
      : [h.mean, h.p50, h.p90, h.p95, h.p99, h.p999, h.max].map(ms)),
  ];
  const rows = [
    row('create (client)', apply.latency.create),
    row('time to ready (client)', apply.latency.timeToReady),
    row('time to ready (server clock, 1 s resolution)', apply.latency.serverTimeToReady),
    row('watch lag', apply.latency.watchLag),
  ];
  if (sets && apply.sets.length > 1) {
    for (const set of apply.sets) {
      rows.push(row(html`<span class="dim">${set.set}:</span> create`, set.latency.create));
      if (set.waited)
        rows.push(row(html`<span class="dim">${set.set}:</span> time to ready`, set.latency.timeToReady));
    }
  }
  return section(
    'latency',
    'Latency percentiles',
    table(['latency', 'samples', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'], rows, 'num'),
  );
}

function rateSection(apply: NonNullable<RunResult['apply']>): Html | '' {
  if (apply.series.length === 0) return '';
  const last = apply.series[apply.series.length - 1]!.t;
  const peak = Math.max(...apply.series.flatMap((s) => [s.created, s.ready]), apply.requestedRate ?? 0);
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

// ---------------------------------------------------------------- controller signals

function controllerRow(c: ControllerSignals): Part[] {
  const rho = c.utilization;
  const rhoClass = !isNum(rho) ? '' : rho >= 0.9 ? 'bad' : rho >= 0.7 ? 'warn' : 'ok';
  return [
    html`<strong>${c.controller}</strong>`,
    perSec(c.arrivalRate),
    perSec(c.throughput),
    secs(c.serviceMean),
    secs(c.serviceP95),
    c.workers ?? DASH,
    html`<span class="${rhoClass}">${num(rho)}</span>`,
    secs(c.queueWaitMean),
    `${num(c.queueDepthMean, 1)} / ${num(c.queueDepthMax, 0)}`,
    pct(c.errorShare),
    pct(c.requeueShare),
    count(c.reconciles),
  ];
}

const SERIES_COLORS = [COLORS.blue, COLORS.amber, COLORS.green, COLORS.purple, COLORS.teal, COLORS.red];

/** Each controller's workqueue depth over the load, one line per controller that ever queued work. */
function queueDepthChart(
  series: NonNullable<NonNullable<RunResult['observe']>['targets'][number]['queueDepth']>,
) {
  const queued = series.filter((s) => s.points.some(([, depth]) => depth > 0));
  if (queued.length === 0) return '';
  const points = queued.flatMap((s) => s.points);
  // the first point is the last scrape before the load: a little before zero
  const minT = Math.min(0, ...points.map(([t]) => t));
  const maxT = Math.max(1, ...points.map(([t]) => t));
  const maxDepth = Math.max(1, ...points.map(([, depth]) => depth));
  const colour = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length]!;
  return plot({
    label: 'workqueue depth over time',
    x: linearAxis(minT, maxT, 'seconds since the load began'),
    y: linearAxis(0, maxDepth * 1.1, 'queue depth (items)'),
    layers: queued.map((s, i) => ({
      kind: 'line',
      points: s.points,
      color: colour(i),
      dots: s.points.length < 60,
    })),
    legend: queued.map((s, i) => ({ label: s.controller, color: colour(i) })),
  });
}

function signalsSection(observe: NonNullable<RunResult['observe']>): Html {
  const blocks = observe.targets.map((target) => {
    const head = html`<h3>${target.target}</h3><p class="dim">${target.scrapes} scrapes every ${observe.intervalSeconds}s, ${target.failures} failed · window ${observe.window.start} → ${observe.window.end}</p>`;
    const s = target.signals;
    if (!s)
      return [
        head,
        note(
          target.scrapes === 0
            ? unansweredTargetLine(target)
            : 'no signals: the scrapes did not yield enough data',
        ),
      ];
    const busy = s.controllers.filter((c) => c.reconciles > 0);
    const idle = s.controllers.filter((c) => c.reconciles === 0).map((c) => c.controller);
    const controllers = table(
      [
        'controller',
        'λ adds',
        'X reconciles',
        'S̄',
        'p95',
        'W',
        'ρ',
        'W̄q',
        'queue depth mean / max',
        'errors',
        'requeues',
        'reconciles',
      ],
      busy.map(controllerRow),
      'num',
    );
    const p = s.process;
    const v = s.vitistack;
    const processFacts = facts([
      ['CPU (mean · p90)', `${num(p.cpuCores, 3)} · ${num(p.cpuP90Cores, 3)} cores`],
      [
        'RSS (mean · p95 · max)',
        `${bytes(p.rssMeanBytes)} · ${bytes(p.rssP95Bytes)} · ${bytes(p.rssMaxBytes)}`,
      ],
      ['heap live', bytes(p.heapLiveBytes)],
      ['GC CPU share', pct(p.gcCpuShare)],
      ['goroutines (mean · slope)', `${num(p.goroutinesMean, 0)} · ${num(p.goroutineSlopePerMinute, 2)}/min`],
      [
        'REST',
        `${perSec(p.restRequestsPerSecond)} · ${num(p.restRequestsPerReconcile, 2)} per reconcile · 429s ${perSec(p.rest429PerSecond)}`,
      ],
      ['GOGC · GOMEMLIMIT', `${p.gogc ?? DASH} · ${bytes(p.gomemlimitBytes)}`],
      ['restarts', String(p.restarts)],
      ...(v
        ? ([
            ['cache hit ratio', pct(v.cacheHitRatio)],
            [
              'API calls (mean · unthrottled p10)',
              `${secs(v.apiCallMean)} · ${secs(v.apiCallP10)} · ${count(v.apiCalls)} calls`,
            ],
            ['vitistack queue depth mean', num(v.queueDepthMean, 1)],
          ] as Array<[string, Part]>)
        : []),
    ]);
    const flags = s.flags.length
      ? html`<ul class="flags">${s.flags.map((f) => html`<li><code>${f.signal}</code>: ${f.message}${f.fix ? html` <span class="dim">— ${f.fix}</span>` : ''}</li>`)}</ul>`
      : '';
    return [
      head,
      busy.length > 0 ? controllers : note('no controller reconciled during the window'),
      idle.length > 0 ? note(`idle controllers: ${idle.join(', ')}`) : '',
      queueDepthChart(target.queueDepth ?? []),
      processFacts,
      flags,
    ];
  });
  return section('signals', 'Controller signals', [
    blocks,
    note(
      'Queue depth: the workqueue_depth gauge at each scrape. λ = workqueue adds/s, X = reconciles/s, S̄ = mean reconcile time, W = max concurrent reconciles, ρ = λ·S̄/W, W̄q = mean time in queue.',
    ),
  ]);
}

// ---------------------------------------------------------------- webhook

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

function webhookSection(w: WebhookResult): Html {
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
          y: logAxis(Math.max(1e-3, Math.min(...ys)), Math.max(...ys), 'latency (log scale)', tickMs),
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

// ---------------------------------------------------------------- stress, tuning, comparison

function stressSection(stress: NonNullable<RunResult['stress']>): Html {
  const rows = stress.steps.map((s) => [
    perSec(s.rate),
    count(s.objects),
    perSec(s.achievedRate),
    ms(s.readyP99Ms),
    count(s.failed),
    badge(s.metSlo, 'met', 'broke'),
  ]);
  const p99s = stress.steps.map((s) => s.readyP99Ms).filter((v) => v > 0);
  const wide = p99s.length > 0 && Math.max(...p99s) / Math.min(...p99s) > 20;
  const y = wide
    ? logAxis(Math.min(...p99s) / 1.3, Math.max(...p99s) * 1.3, 'ready p99 (log scale)', tickMs)
    : linearAxis(0, Math.max(1, ...p99s) * 1.1, 'ready p99', tickMs);
  const layers: Layer[] = [
    { kind: 'line', points: stress.steps.map((s) => [s.rate, s.readyP99Ms] as const), color: COLORS.grey },
    {
      kind: 'points',
      points: stress.steps.map((s) => ({
        x: s.rate,
        y: s.readyP99Ms,
        color: s.metSlo ? COLORS.green : COLORS.red,
        title: `${s.rate}/s: ready p99 ${ms(s.readyP99Ms)}, ${s.metSlo ? 'met' : 'broke'} the SLO`,
      })),
    },
  ];
  if (stress.knee !== null)
    layers.push({ kind: 'vline', x: stress.knee, color: COLORS.blue, label: `knee ${stress.knee}/s` });
  const chart =
    stress.steps.length > 0
      ? plot({
          label: 'ready p99 by rate',
          x: linearAxis(0, Math.max(...stress.steps.map((s) => s.rate)) * 1.05, 'requested rate (objects/s)'),
          y,
          layers,
          legend: [
            { label: 'met the SLO', color: COLORS.green },
            { label: 'broke the SLO', color: COLORS.red },
          ],
        })
      : '';
  return section('stress', 'Stress steps', [
    html`<p>SLO <code>${stress.slo}</code> · knee: <strong>${stress.knee === null ? 'none (the lowest rate already broke the SLO)' : `${stress.knee}/s`}</strong></p>`,
    table(['rate', 'objects', 'achieved', 'ready p99', 'failed', 'SLO'], rows, 'num'),
    chart,
  ]);
}

function tuneSection(t: TuneResult): Html {
  const head = html`<p><strong>Diagnosis</strong> (controller <code>${t.controller}</code>, current settings from ${t.currentSource}): ${t.diagnosis.message}</p>`;
  if (t.refused)
    return section('tune', 'Tuning', [
      head,
      html`<div class="verdict bad">no recommendation: ${t.refused}</div>`,
    ]);
  const recs = table(
    ['knob', 'current', 'recommended', 'why'],
    t.recommendations.map((r) => [
      html`<code>${r.knob}</code>`,
      r.current === null ? DASH : String(r.current),
      r.changed ? html`<strong class="ok">${String(r.recommended)}</strong>` : String(r.recommended ?? DASH),
      html`${r.why}${r.changed && r.formula ? html` <span class="dim">· ${r.formula}</span>` : ''}`,
    ]),
    'knobs',
  );
  const p = t.prediction;
  let prediction: Part = '';
  if (p) {
    const series = [
      ...(p.measured ? [['measured (this run)', p.measured, COLORS.blue] as const] : []),
      ['predicted, current', p.current, COLORS.grey] as const,
      ['predicted, recommended', p.recommended, COLORS.green] as const,
    ];
    const rows = series.map(([name, v]) => [name, secs(v.p50), secs(v.p90), secs(v.p99)]);
    const keys = ['p50', 'p90', 'p99'] as const;
    const groupWidth = 0.8 / series.length;
    const bars = keys.flatMap((key, k) =>
      series.map(([name, v, color], i) => ({
        x0: k + 0.1 + i * groupWidth,
        x1: k + 0.1 + (i + 1) * groupWidth,
        y: v[key],
        color,
        title: `${name} ${key}: ${secs(v[key])}`,
      })),
    );
    const chart = plot({
      label: 'time to ready: measured vs predicted',
      x: {
        min: 0,
        max: 3,
        ticks: keys.map((key, k) => ({ value: k + 0.5, label: key })),
        title: 'time to ready',
      },
      y: linearAxis(0, Math.max(...bars.map((b) => b.y)) * 1.1, 'seconds', (v) => `${v}s`),
      layers: [{ kind: 'bars', bars }],
      legend: series.map(([name, , color]) => ({ label: name, color })),
    });
    prediction = [
      html`<h3>Prediction</h3>`,
      table(['time to ready', 'p50', 'p90', 'p99'], rows, 'num'),
      chart,
      note(`model: ${p.model}`),
    ];
  }
  return section('tune', 'Tuning', [
    head,
    recs,
    prediction,
    t.notes.length > 0
      ? html`<ul class="plain">${t.notes.map((n) => html`<li class="warn">${n}</li>`)}</ul>`
      : '',
  ]);
}

function comparisonSection(result: RunResult, baseline: RunResult): Html {
  const rows: Part[][] = [];
  for (const metric of METRICS.values()) {
    if (!metric.compared) continue;
    const before = metric.read(baseline);
    const now = metric.read(result);
    if (before === null || now === null) continue; // measured in one run only: nothing to compare
    let ratio: Part = DASH;
    if (before !== 0) {
      const r = now / before;
      const better = metric.higherIsBetter ? r > 1.05 : r < 0.95;
      const worse = metric.higherIsBetter ? r < 0.95 : r > 1.05;
      ratio = html`<span class="${better ? 'ok' : worse ? 'bad' : ''}">×${r.toFixed(2)}${better ? ' better' : worse ? ' worse' : ''}</span>`;
    }
    const format = (v: number) => formatMetricValue(v, metric.unit);
    rows.push([metric.label, format(before), format(now), ratio]);
  }
  return section('compare', 'Before / after', [
    html`<p>baseline <code>${baseline.runId}</code> (${baseline.scenario.name}, ${baseline.startedAt}) → this run <code>${result.runId}</code></p>`,
    table(['metric', 'baseline', 'this run', 'ratio'], rows, 'num'),
    note(
      'ratio = this run ÷ baseline, marked beyond ±5%; the gates judge regressions against the measured run-to-run noise.',
    ),
  ]);
}

function methodsSection(result: RunResult): Html | '' {
  const methods = Object.entries(result.methods);
  if (result.webhook) methods.push(['webhook.latency', result.webhook.latencyMethod]);
  if (methods.length === 0) return '';
  return html`<section id="methods"><details><summary>How each figure was measured</summary><dl class="methods">${methods.map(
    ([key, text]) => html`<dt><code>${key}</code></dt><dd>${text}</dd>`,
  )}</dl></details></section>`;
}

// ---------------------------------------------------------------- the page

const CSS = `
:root{color-scheme:light;--fg:#1f2937;--dim:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--ok:#15803d;--bad:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 6px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:16px 0}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
table.knobs td:first-child code{white-space:nowrap}
.dim,.note{color:var(--dim)}.note{font-size:13px;margin:8px 0 0}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.verdict{border-radius:10px;padding:14px 18px;margin:16px 0;border:1px solid}
.verdict strong{font-size:18px;display:block}
.verdict.ok{background:#f0fdf4;border-color:#86efac;color:#14532d}.verdict.bad{background:#fef2f2;border-color:#fca5a5;color:#7f1d1d}
.verdict.warn{background:#fffbeb;border-color:#fcd34d;color:#78350f}.verdict.info{background:#eff6ff;border-color:#93c5fd}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:6px 28px;margin:0}
.facts div{display:flex;gap:10px;border-bottom:1px dotted var(--line);padding:3px 0}
.facts dt{color:var(--dim);width:190px;flex:none}.facts dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb;white-space:nowrap}
table.num td:not(:first-child){font-variant-numeric:tabular-nums;white-space:nowrap}
table.compact{width:auto}
table.objects th{white-space:normal}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.ok{background:#dcfce7}.badge.bad{background:#fee2e2}
.stack{display:flex;min-width:90px;height:12px;border-radius:3px;overflow:hidden;background:#f1f5f9}
.stack i{display:block}
.chart{margin:10px 0 0}
.chart svg{width:100%;height:auto;display:block}
.chart .grid{stroke:#eef0f3}.chart .axis{stroke:#9ca3af}
.chart text{font-size:11px;fill:#4b5563}.chart .title{font-size:12px;fill:#374151}.chart text.mark{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:#374151;margin-top:4px}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:14px;height:0;border-top:3px solid}.sw.dashed{border-top-style:dashed}
.legend .sw{height:10px;border-top-width:0}.legend .sw.dashed{height:0;border-top-width:3px}
ul.plain{margin:8px 0 0;padding-left:18px;font-size:14px}
ul.flags{font-size:13px;color:var(--warn)}
details summary{cursor:pointer;font-weight:600}
.methods dt{margin-top:8px}.methods dd{margin:2px 0 0 16px;color:#374151;font-size:14px}
header .dim{font-size:14px}
`;

/** The HTML report of one run. Pure: RunResult in, a self-contained HTML document out. */
export function renderHtmlReport(result: RunResult, options: HtmlReportOptions = {}): string {
  const title = options.title ?? `vitictl run ${result.runId} · ${result.scenario.name}`;
  const apply = result.apply;
  const body: Part[] = [
    html`<header><h1>${title}</h1><div class="dim">${result.profile ? `profile ${result.profile.name} · ` : ''}${result.target.server} · ${result.startedAt}</div></header>`,
    verdict(result),
    runFacts(result),
    result.gates && result.gates.length > 0 ? gatesSection(result.gates) : '',
    options.baseline ? comparisonSection(result, options.baseline) : '',
    apply && apply.sets.length > 0 ? objectsSection(apply) : '',
    distributionSection(result, options.baseline),
    apply ? latencySection(apply, true) : '',
    apply ? rateSection(apply) : '',
    result.observe && result.observe.targets.length > 0 ? signalsSection(result.observe) : '',
    result.webhook ? webhookSection(result.webhook) : '',
    result.stress ? stressSection(result.stress) : '',
    result.tune ? tuneSection(result.tune) : '',
    methodsSection(result),
  ];
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title><style>${new Html(CSS)}</style></head>
<body><main>${body}</main></body></html>
`;
  return page.text;
}
