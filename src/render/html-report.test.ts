import { describe, expect, it } from 'vitest';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../report/histogram.js';
import type { ObjectCounts, RunResult, SetResult } from '../report/run-result.js';
import type { Signals } from '../report/sections/signals.js';
import type { WebhookResult } from '../report/sections/webhook.js';
import { tune } from '../tune/tune.js';
import { renderHtmlReport } from './html-report.js';

const EVIL = '<script>alert(1)</script>';

const hdr = (values: number[]): LatencySummary => {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return summarize(h);
};
/** n values spread from `from` ms, a long tail at the end */
const spread = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => from + i * 3 + (i > n * 0.95 ? 400 : 0));

const allReady = (n: number): ObjectCounts => ({
  total: n,
  ready: n,
  failed: 0,
  timedOut: 0,
  notWaited: 0,
  interrupted: 0,
  notStarted: 0,
  created: n,
});

function bare(): RunResult {
  return {
    schemaVersion: 2,
    kind: 'vitictl.io/RunResult',
    tool: { name: 'vitictl', version: '0.1.0' },
    runId: 'run-1',
    scenario: { name: 'machines', file: 'scenarios/machines.yaml', seed: 42, objects: 100 },
    target: {
      server: 'https://127.0.0.1:6443',
      context: 'lab',
      kubernetesVersion: 'v1.37.2',
      insecureSkipTlsVerify: false,
    },
    startedAt: '2026-11-26T08:00:00.000Z',
    endedAt: '2026-11-26T08:00:10.000Z',
    interrupted: false,
    phases: [
      { name: 'apply', start: '2026-11-26T08:00:01.000Z', end: '2026-11-26T08:00:09.000Z', seconds: 8 },
    ],
    methods: {},
  };
}

function applied(setName = 'machines', ready = spread(100, 200)): RunResult {
  const latency = {
    create: hdr(spread(100, 5)),
    timeToReady: hdr(ready),
    serverTimeToReady: hdr(ready.map(() => 1000)),
  };
  const set: SetResult = {
    set: setName,
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    plural: 'machines',
    namespaced: true,
    waited: true,
    readiness: 'condition Ready=True',
    counts: allReady(ready.length),
    latency,
  };
  const gap = {
    resource: 'machines',
    start: '2026-11-26T08:00:03.000Z',
    end: '',
    seconds: 2.5,
    reason: '410 Gone',
  };
  const series = [0, 1, 2, 3, 4].map((t) => ({ t, created: 20, ready: t === 0 ? 5 : 20 }));
  return {
    ...bare(),
    apply: {
      mode: 'open',
      requestedRate: 20,
      burst: 1,
      concurrency: null,
      achievedRate: 19.8,
      createThroughput: 19.9,
      maxStartsIn100ms: 3,
      lateStarts: 0,
      scheduleSlips: 0,
      retries: 0,
      attempts: { retriedObjects: 0, maxAttempts: 1, throttledObjects: 0, throttledSeconds: 0 },
      failures: [],
      failureReasons: {},
      errors: {},
      creation: { start: '2026-11-26T08:00:01.000Z', end: '2026-11-26T08:00:06.000Z', seconds: 5 },
      counts: allReady(ready.length),
      sets: [set],
      latency: { ...latency, watchLag: hdr([1, 2, 3]) },
      series,
      // a watch that dropped once: its gap is part of the report
      watch: {
        scope: 'namespaces',
        watches: 2,
        reconnects: 1,
        relists: 1,
        readyFromRelist: 3,
        eventsBeforeAck: 7,
        gaps: [gap],
      },
    },
    methods: { 'apply.latency.timeToReady': 'client monotonic clock: create sent → ready seen' },
  };
}

function signals(controller: string): Signals {
  const base = { arrivalRate: 20, throughput: 20, serviceMean: 0.3, serviceP95: 0.6, workers: 2 };
  const queue = { queueWaitMean: 2, queueDepthMean: 12, queueDepthMax: 40, littlesLawGap: 0.1 };
  return {
    target: 'http://operator:8080/metrics',
    windowSeconds: 60,
    scrapes: 30,
    controllers: [
      {
        controller,
        ...base,
        activeWorkersMean: 1.9,
        offeredLoad: 6,
        utilization: 3,
        ...queue,
        errorShare: 0,
        requeueShare: 0.01,
        reconciles: 1200,
      },
    ],
    process: {
      cpuCores: 0.4,
      cpuP90Cores: 0.6,
      rssMeanBytes: 50e6,
      rssP95Bytes: 60e6,
      rssMaxBytes: 64e6,
      heapLiveBytes: 10e6,
      gcCpuShare: 0.01,
      goroutinesMean: 120,
      goroutineSlopePerMinute: 0.1,
      restRequestsPerSecond: 9.5,
      restRequestsPerReconcile: 5,
      rest429PerSecond: 0,
      gogc: 100,
      gomemlimitBytes: 2 ** 63,
      restarts: 0,
    },
    vitistack: null,
    flags: [{ signal: 'workqueue_queue_duration_seconds', message: 'decade buckets: coarse quantiles' }],
  };
}

function webhook(): WebhookResult {
  const h = newHistogram();
  const sent = newHistogram();
  for (let i = 1; i <= 2000; i++) {
    h.recordValue(800 + (i % 100) * 20 + (i % 500 === 0 ? 40_000 : 0));
    sent.recordValue(700 + (i % 100) * 20);
  }
  const latency = summarize(h, 'us');
  const peer = { subject: 'CN=hook', issuer: 'CN=ca', validFrom: '', validTo: '', subjectAltName: '' };
  return {
    // a mutating webhook that failed some calls, which its Ignore policy admits
    target: {
      url: 'https://hook:9443/mutate',
      configuration: 'hooks',
      webhook: 'defaults.vitistack.io',
      type: 'mutating',
      failurePolicy: 'Ignore',
      timeoutSeconds: 2,
    },
    tls: {
      verified: 'every-connection',
      insecureSkipTlsVerify: false,
      caOrigin: 'caBundle',
      serverName: 'hook',
      protocol: 'TLSv1.3',
      cipher: 'x',
      clientCertificate: false,
      peer,
      handshakeMs: 2,
    },
    engine: 'open-loop',
    load: {
      requestedRate: 200,
      connections: 64,
      achievedRate: 199.9,
      throughput: 199.8,
      durationSeconds: 10,
      warmupSeconds: 1,
      operations: { CREATE: 2000, UPDATE: 0, DELETE: 0 },
      dryRun: 0,
      objects: 100,
    },
    requests: { sent: 2000, ended: 2000, unanswered: 0 },
    counts: { okAllowed: 1990, okDenied: 0, httpError: 6, timeout: 4, wouldFail: 0 },
    allowed: 1990,
    denied: 0,
    deniedWithoutStatus: 0,
    patched: 1990,
    warnings: 0,
    errors: { 'HTTP 500': 6, 'no answer within timeoutSeconds': 4 },
    failurePolicy: { policy: 'Ignore', admitted: 2000, rejected: 0, failedCalls: 10 },
    latency,
    latencyUncorrected: summarize(sent, 'us'),
    apiServerBuckets: [
      { le: 0.005, count: 1996 },
      { le: '+Inf', count: 2000 },
    ],
    generator: {
      keptUp: true,
      lateStarts: 0,
      maxStartLagMs: 1,
      startLagP50Ms: 0.1,
      startLagP99Ms: 0.5,
      maxStartsIn10ms: 3,
      evenShareIn10ms: 2,
      cpuMs: 100,
      cpuMsPer1000Requests: 50,
    },
    autocannonLatencyMs: null,
    latencyMethod: 'answer − intended start',
    notes: [`note ${EVIL}`],
  };
}

/** Every section: signals, gates, a stress ladder, a tuning recommendation, a webhook bench. */
function full(): RunResult {
  const run = applied();
  run.observe = {
    intervalSeconds: 2,
    window: { start: run.startedAt, end: run.endedAt },
    targets: [
      {
        target: 'http://operator:8080/metrics',
        scrapes: 30,
        failures: 0,
        signals: { ...signals('machine') },
        queueDepth: [
          { controller: 'machine', points: [0, 2, 4, 6].map((t) => [t, t * 3] as [number, number]) },
          {
            controller: 'vitistack',
            points: [
              [0, 0],
              [2, 0],
            ],
          },
        ],
      },
    ],
  };
  run.profile = { name: 'smoke', file: 'profiles/smoke.yaml', kind: 'stress' };
  run.gates = [
    {
      gate: 'ready.p99 < 30s',
      metric: 'ready.p99',
      op: '<',
      threshold: 30_000,
      value: 900,
      unit: 'ms',
      passed: true,
      message: 'ready.p99 = 900ms',
    },
    {
      gate: 'ready.p99 vs baseline',
      metric: 'ready.p99',
      op: '<=',
      threshold: 800,
      value: 900,
      unit: 'ms',
      passed: false,
      message: 'ready.p99 700ms → 900ms: regression',
      baseline: { value: 700, noise: 20, allowedRegression: 0.1 },
    },
  ];
  run.stress = {
    slo: 'ready.p99 < 2s',
    knee: 40,
    steps: [10, 20, 40, 80].map((rate) => ({
      rate,
      objects: rate * 10,
      readyP99Ms: rate * rate * 2,
      achievedRate: rate * 0.99,
      failed: 0,
      metSlo: rate <= 40,
    })),
  };
  run.webhook = { ...webhook() };
  run.overhead = { cpuSeconds: 0.5, wallSeconds: 10, share: 0.05 };
  run.tune = {
    ...tune({
      run,
      current: { controller: { workers: 2 }, rateLimit: { qps: 10, burst: 20 } },
      currentSource: 'test',
      strategy: 'balanced',
    }),
  };
  return run;
}

const sectionIds = (page: string) => [...page.matchAll(/<section id="([a-z]+)"/g)].map((m) => m[1]);
const svgLabels = (page: string) => [...page.matchAll(/<svg [^>]*aria-label="([^"]+)"/g)].map((m) => m[1]);

describe('renderHtmlReport', () => {
  it('shows only the run facts and the verdict when nothing was measured', () => {
    const page = renderHtmlReport(bare());
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(sectionIds(page)).toEqual(['run']);
    expect(page).toContain('No load was applied in this run');
    expect(page).not.toContain('<svg');
  });

  it('a run with load: objects, distribution, percentiles and the rate chart, no other sections', () => {
    const page = renderHtmlReport(applied());
    expect(sectionIds(page)).toEqual(['run', 'objects', 'distribution', 'latency', 'rate', 'methods']);
    expect(svgLabels(page)).toEqual(['time-to-ready distribution', 'achieved rate over time']);
    expect(page).toContain('OK: 100 objects, 100 ready');
    expect(page).toContain('= 100'); // the states add up
    expect(page).toContain('watch gap: machines down 2.5s from 2026-11-26T08:00:03.000Z (410 Gone)');
  });

  it('renders every section when every part of the RunResult is there', () => {
    const page = renderHtmlReport(full(), { baseline: applied('machines', spread(100, 400)) });
    expect(sectionIds(page)).toMatchInlineSnapshot(`
      [
        "run",
        "gates",
        "compare",
        "objects",
        "distribution",
        "latency",
        "rate",
        "signals",
        "webhook",
        "stress",
        "tune",
        "methods",
      ]
    `);
    expect(svgLabels(page)).toEqual([
      'time-to-ready distribution',
      'achieved rate over time',
      'workqueue depth over time',
      'webhook latency by percentile',
      'ready p99 by rate',
      'time to ready: measured vs predicted',
    ]);
    expect(page).toContain('FAIL: 1 of 2 gates failed');
    expect(page).toContain('ready.p99 700ms → 900ms: regression');
    expect(page).toContain('knee 40/s');
    expect(page).toContain('baseline CDF');
    expect(page).toContain('unlimited'); // GOMEMLIMIT at MaxInt64
    // one line per controller that queued work: the idle vitistack queue draws nothing
    const depthChart = page.slice(page.indexOf('aria-label="workqueue depth over time"'));
    expect(depthChart.slice(0, depthChart.indexOf('</figure>')).match(/<path /g)).toHaveLength(1);
    // layout numbers only: a NaN in an SVG attribute is a console error in the browser
    expect(page).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws where the last step goes when the run was joined with the audit log: three CDFs, one axis', () => {
    const run = applied();
    const own = newHistogram();
    for (let i = 0; i < 100; i++) recordMs(own, 0.1 + i / 500);
    run.apply!.groundTruth = {
      source: '/var/log/kube-apiserver/audit.log',
      matched: 100,
      unmatched: 0,
      readBeforeLogged: 3,
      commitToRead: hdr(spread(100, 2)),
      readToMarked: summarize(own, 'us'),
      commitToMarked: hdr(spread(100, 3)),
    };
    const page = renderHtmlReport(run);
    expect(sectionIds(page)).toEqual(['run', 'objects', 'distribution', 'latency', 'rate', 'methods']);
    expect(svgLabels(page)).toEqual([
      'time-to-ready distribution',
      'where the last step goes',
      'achieved rate over time',
    ]);
    const chart = page.slice(page.indexOf('aria-label="where the last step goes"'));
    const figure = chart.slice(0, chart.indexOf('</figure>'));
    expect(figure.match(/<path /g)).toHaveLength(3);
    expect(figure).toContain('watch event read → marked ready (vitictl');
    // the own part (0.1–0.3 ms) and the commit's 2–700 ms share one log axis from below 0.1 ms
    expect(figure).toMatch(/>0\.0\dms</);
    expect(page).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('says in the verdict and in its section that a metrics target never answered, and why', () => {
    const run = applied();
    run.observe = {
      intervalSeconds: 2,
      window: { start: run.startedAt, end: run.endedAt },
      targets: [
        {
          target: 'https://127.0.0.1:6443/metrics',
          scrapes: 0,
          failures: 6,
          lastFailure: {
            at: run.endedAt,
            kind: 'http',
            status: 401,
            reason: 'HTTP 401: Unauthorized',
            hint: 'check the bearer token',
          },
          signals: null,
        },
      ],
    };
    const page = renderHtmlReport(run);
    const line =
      'metrics target https://127.0.0.1:6443/metrics never answered (6 scrapes failed, last: HTTP 401: Unauthorized): no controller signals from it; hint: check the bearer token';
    expect(page).toContain(`<div>warning: ${line}</div>`);
    expect(page).toContain(`<p class="note">${line}</p>`);
  });

  it('is self-contained: no script, no external resource', () => {
    const page = renderHtmlReport(full(), { baseline: applied() });
    expect(page).not.toMatch(/src="http|href="http|url\(http|@import|<script/i);
    expect(page).not.toMatch(/<link [^>]*href="(?!data:)/);
  });

  it('escapes every string from the data', () => {
    const run = full();
    run.scenario.name = `"><img src=x onerror=alert(1)>`;
    run.apply!.sets[0]!.set = EVIL;
    run.apply!.failureReasons = { [EVIL]: 1 };
    run.gates![0]!.message = EVIL;
    run.methods = { [EVIL]: EVIL };
    run.observe!.targets[0]!.target = EVIL;
    run.observe!.targets[0]!.signals = { ...signals(EVIL) };
    const page = renderHtmlReport(run, { title: EVIL });
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<script');
  });

  it('bins every recorded object of the HDR histogram into the distribution', () => {
    const page = renderHtmlReport(applied('machines', spread(250, 100)));
    const bars = [...page.matchAll(/<title>[^<]*: (\d+) objects<\/title>/g)].map((m) => Number(m[1]));
    expect(bars.reduce((a, b) => a + b, 0)).toBe(250);
    expect(page).toMatch(/p50 \d+ms/);
    expect(page).toMatch(/p99 1.24s/);
  });

  it('flags states that do not add up, and says interrupted', () => {
    const run = applied();
    run.interrupted = true;
    run.apply!.sets[0]!.counts.ready = 90;
    const page = renderHtmlReport(run);
    expect(page).toContain('Interrupted: partial results');
    expect(page).toContain('90 ≠ 100');
  });

  it('compares with a baseline: ratios with their direction', () => {
    const page = renderHtmlReport(applied('machines', spread(100, 100)), {
      baseline: applied('machines', spread(100, 1000)),
    });
    const row =
      /<td>time to ready p50<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td><span class="(\w*)">([^<]+)<\/span>/.exec(
        page,
      );
    expect(row?.slice(1)).toEqual(['1.15s', '247ms', 'ok', '×0.22 better']);
  });

  it('a corrupt histogram costs the chart, not the report', () => {
    const run = applied();
    run.apply!.latency.timeToReady.encoded = 'not base64!';
    const page = renderHtmlReport(run);
    expect(sectionIds(page)).not.toContain('distribution');
    expect(sectionIds(page)).toContain('latency');
  });
});
