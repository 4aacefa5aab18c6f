import { describe, expect, it } from 'vitest';
import { compileGoRegexp } from '../../util/go-regexp.js';
import { parseExposition } from '../metrics/parse.js';
import { histogramQuantile } from '../metrics/quantile.js';
import { TargetStore } from '../metrics/store.js';
import { recorded, recordedStore as store } from './fixtures/recorded.js';
import { computeApiServerSignals, windowFrom } from './signals.js';

/** A sample's value in a recorded exposition, read with a regular expression (independent of the parser). */
function sample(text: string, pattern: RegExp): number {
  let total = 0;
  for (const line of text.split('\n')) if (pattern.test(line)) total += Number(line.split(' ').at(-1));
  return total;
}

describe('API server signals from recorded lab scrapes', () => {
  const api = store('apiserver');
  const etcd = store('etcd');
  const before = recorded('apiserver-before');
  const after = recorded('apiserver-after');
  const signals = computeApiServerSignals(api, etcd, before.at);
  const seconds = (after.at - before.at) / 1000;
  const delta = (pattern: RegExp) => sample(after.text, pattern) - sample(before.text, pattern);

  it('counts the creates of the run among the mutating requests', () => {
    const posts = delta(/^apiserver_request_total\{.*resource="machines".*verb="POST"/);
    expect(posts).toBe(200);
    const row = signals.byVerbResource.find(
      (r) => r.verb === 'POST' && r.resource === 'machines.vitistack.io',
    );
    expect(row?.requests).toBe(posts);
    expect(row?.perSecond).toBeCloseTo(posts / seconds, 6);
    expect(signals.mutatingRequests).toBe(
      delta(/^apiserver_request_total\{.*verb="(POST|PUT|PATCH|DELETE)"/),
    );
    expect(signals.requests).toBe(delta(/^apiserver_request_total\{/));
    expect(signals.windowSeconds).toBeCloseTo(seconds, 6);
  });

  it('reads the SLIs from apiserver_request_sli_duration_seconds, p99 from bucket deltas', () => {
    expect(signals.sli.source).toBe('apiserver_request_sli_duration_seconds');
    const mutating = signals.sli.checks.find((c) => c.name === 'mutating')!;
    // the p99 recomputed here from the bucket deltas of the recorded text
    const verbs = '(POST|PUT|PATCH|DELETE)';
    const bounds = [
      ...after.text.matchAll(/^apiserver_request_sli_duration_seconds_bucket\{[^}]*le="([^"]+)"/gm),
    ]
      .map((m) => m[1]!)
      .filter((le, i, all) => all.indexOf(le) === i);
    const buckets = bounds.map((le) => {
      const pattern = new RegExp(
        `^apiserver_request_sli_duration_seconds_bucket\\{(?=.*resource="[^"]+")(?=.*verb="${verbs}")(?!.*subresource="(proxy|log|exec|attach|portforward)").*le="${le.replace('+', '\\+')}"`,
      );
      return { le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: delta(pattern) };
    });
    expect(mutating.requests).toBe(buckets.find((b) => b.le === Number.POSITIVE_INFINITY)!.count);
    expect(mutating.requests).toBeGreaterThanOrEqual(400); // 200 creates and 200 deletes at least
    expect(mutating.p99Ms).toBeCloseTo(histogramQuantile(0.99, buckets) * 1000, 6);
    expect(mutating.verdict).toBe(mutating.p99Ms! <= 1000 ? 'pass' : 'fail');
    const reads = signals.sli.checks.find((c) => c.name === 'reads')!;
    expect(reads.requests).toBe(
      delta(
        /^apiserver_request_sli_duration_seconds_count\{(?=.*resource="[^"]+")(?=.*scope="resource").*verb="GET"/,
      ),
    );
  });

  it('falls back to apiserver_request_duration_seconds where the SLI histogram is not served', () => {
    const older = new TargetStore('older', compileGoRegexp('^apiserver_request_(duration_seconds|total)$'));
    for (const { at, text } of [before, after])
      older.add(at, parseExposition(Buffer.from(text), { format: 'text' }));
    const fallback = computeApiServerSignals(older, undefined, before.at);
    expect(fallback.sli.source).toBe('apiserver_request_duration_seconds');
    expect(fallback.sli.checks.find((c) => c.name === 'mutating')!.requests).toBeGreaterThanOrEqual(400);
    expect(fallback.etcd.commitP99Ms).toBeNull();
    expect(fallback.flowControl.rejected).toBeNull(); // no flow-control family served at all
  });

  it('reads flow control, in-flight requests, watch events and objects as served', () => {
    // the lab serves no rejected-requests series: none was rejected
    expect(after.text.includes('apiserver_flowcontrol_rejected_requests_total{')).toBe(false);
    expect(signals.flowControl.rejected).toBe(0);
    expect(signals.flowControl.seatsSource).toBe('apiserver_flowcontrol_current_executing_seats');
    expect(signals.flowControl.seatsMax.length).toBeGreaterThan(0);
    expect(signals.inflight.mutatingMax).toBe(
      Math.max(
        sample(before.text, /^apiserver_current_inflight_requests\{request_kind="mutating"\}/),
        sample(after.text, /^apiserver_current_inflight_requests\{request_kind="mutating"\}/),
      ),
    );
    const machines = signals.watchEvents.find((w) => w.resource === 'machines.vitistack.io');
    expect(machines?.perSecond).toBeCloseTo(
      delta(/^apiserver_watch_events_total\{group="vitistack.io",resource="machines"/) / seconds,
      6,
    );
    expect(signals.objectsSource).toBe('apiserver_resource_objects');
    expect(signals.series).toHaveLength(1);
    expect(signals.series[0]!.requestsPerSecond).toBeCloseTo(signals.requests / seconds, 6);
  });

  it("reads etcd's commit and fsync p99 from etcd's own histograms", () => {
    const etcdBefore = recorded('etcd-before');
    const etcdAfter = recorded('etcd-after');
    const commits =
      sample(etcdAfter.text, /^etcd_disk_backend_commit_duration_seconds_count/) -
      sample(etcdBefore.text, /^etcd_disk_backend_commit_duration_seconds_count/);
    expect(commits).toBeGreaterThan(0);
    expect(etcd.histogramDelta('etcd_disk_backend_commit_duration_seconds').count).toBe(commits);
    expect(signals.etcd.commitP99Ms).toBeGreaterThan(0);
    expect(signals.etcd.commitP99Ms).toBeCloseTo(
      etcd.quantile('etcd_disk_backend_commit_duration_seconds', 0.99) * 1000,
      6,
    );
    expect(signals.etcd.fsyncP99Ms).toBeGreaterThan(0);
    expect(signals.etcd.requestP99Ms).toBeGreaterThan(0);
  });

  it('counts a series first seen inside the window from 0', () => {
    const born = new TargetStore('born');
    born.add(
      0,
      parseExposition(Buffer.from('# TYPE x_total counter\nx_total{a="1"} 1\n'), { format: 'text' }),
    );
    born.add(
      1000,
      parseExposition(Buffer.from('# TYPE x_total counter\nx_total{a="1"} 2\nx_total{a="2"} 5\n'), {
        format: 'text',
      }),
    );
    expect(born.increase('x_total')).toBe(6);
    expect(windowFrom(born, 500)).toBe(0);
    expect(windowFrom(born, 1000)).toBe(1);
  });
});

describe('admission webhooks and CPU in the API server signals', () => {
  /** Two scrapes of the admission histogram: `calls` more calls of `seconds` each, `rejected` of them rejected. */
  function scrape(calls: number, rejected: number, sumSeconds: number, slowCalls: number) {
    const rows = (rejectedLabel: string, count: number, sum: number, slow: number) => [
      `apiserver_admission_webhook_admission_duration_seconds_bucket{name="v.example.com",operation="CREATE",rejected="${rejectedLabel}",type="validating",le="0.1"} ${count - slow}`,
      `apiserver_admission_webhook_admission_duration_seconds_bucket{name="v.example.com",operation="CREATE",rejected="${rejectedLabel}",type="validating",le="1"} ${count}`,
      `apiserver_admission_webhook_admission_duration_seconds_bucket{name="v.example.com",operation="CREATE",rejected="${rejectedLabel}",type="validating",le="+Inf"} ${count}`,
      `apiserver_admission_webhook_admission_duration_seconds_sum{name="v.example.com",operation="CREATE",rejected="${rejectedLabel}",type="validating"} ${sum}`,
      `apiserver_admission_webhook_admission_duration_seconds_count{name="v.example.com",operation="CREATE",rejected="${rejectedLabel}",type="validating"} ${count}`,
    ];
    return [
      '# TYPE apiserver_admission_webhook_admission_duration_seconds histogram',
      ...rows('false', calls - rejected, sumSeconds, slowCalls),
      ...rows('true', rejected, 0, 0),
      '# TYPE apiserver_request_duration_seconds histogram',
      `apiserver_request_duration_seconds_bucket{verb="POST",resource="machines",le="+Inf"} ${calls}`,
      `apiserver_request_duration_seconds_sum{verb="POST",resource="machines"} ${sumSeconds * 1.25}`,
      `apiserver_request_duration_seconds_count{verb="POST",resource="machines"} ${calls}`,
      '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${sumSeconds / 4}`,
      '# TYPE go_sched_gomaxprocs_threads gauge',
      'go_sched_gomaxprocs_threads 2',
      // the Go collector's buckets: each goroutine wakeup, 2% of them waiting 0.92–10.5 ms for a core
      '# TYPE go_sched_latencies_seconds histogram',
      `go_sched_latencies_seconds_bucket{le="8.191999999999999e-05"} ${calls * 98}`,
      `go_sched_latencies_seconds_bucket{le="0.0009175039999999999"} ${calls * 98}`,
      `go_sched_latencies_seconds_bucket{le="0.010485759999999998"} ${calls * 100}`,
      `go_sched_latencies_seconds_bucket{le="+Inf"} ${calls * 100}`,
      `go_sched_latencies_seconds_sum ${calls * 0.01}`,
      `go_sched_latencies_seconds_count ${calls * 100}`,
      '',
    ].join('\n');
  }

  it('gives each webhook its calls, rate, mean from the sum delta, p99 from bucket deltas and rejections; a write’s mean, the server’s cores and its wait for a core beside it', () => {
    const api = new TargetStore('apiserver');
    api.add(0, parseExposition(scrape(100, 0, 5, 0), { format: 'text' }));
    // 10 s later: 200 more calls (4 rejected) that took 60 s in all, 50 of them over 100 ms
    api.add(10_000, parseExposition(scrape(300, 4, 65, 50), { format: 'text' }));
    const signals = computeApiServerSignals(api, undefined, 0);
    expect(signals.admissionWebhooks).toEqual([
      {
        name: 'v.example.com',
        type: 'validating',
        requests: 200,
        perSecond: 20,
        meanMs: expect.closeTo((60 / 200) * 1000, 6),
        p99Ms: expect.any(Number),
        rejected: 4,
      },
    ]);
    expect(signals.admissionWebhooks[0]!.p99Ms).toBeGreaterThan(100);
    expect(signals.mutatingMeanMs).toBeCloseTo((75 / 200) * 1000, 6);
    // the process used (65 − 5) / 4 = 15 CPU seconds in 10 s
    // p99 half-way into the 0.92–10.5 ms bucket, where the 1st of its 2% falls
    expect(signals.cpu).toEqual({
      cores: expect.closeTo(1.5, 6),
      gomaxprocs: 2,
      schedWaitP99Ms: expect.closeTo((0.917504 + 10.48576) / 2, 6),
    });
  });
});
