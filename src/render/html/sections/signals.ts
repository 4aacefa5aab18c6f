import type { RunResult } from '../../../report/run-result.js';
import type { ControllerSignals } from '../../../report/sections/signals.js';
import { maxOf, minOf } from '../../../util/extremes.js';
import { unansweredTargetLine } from '../../observe-warnings.js';
import { bytes, count, DASH, isNum, num, pct, perSec, secs } from '../format.js';
import { type Html, html, type Part } from '../markup.js';
import { facts, note, section, table } from '../parts.js';
import { COLORS, linearAxis, plot } from '../svg-plot.js';

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
  const minT = Math.min(0, minOf(points.map(([t]) => t)));
  const maxT = Math.max(1, maxOf(points.map(([t]) => t)));
  const maxDepth = Math.max(1, maxOf(points.map(([, depth]) => depth)));
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

export function signalsSection(observe: NonNullable<RunResult['observe']>): Html {
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
