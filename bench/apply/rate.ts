import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Lab, load, log, MINUTE, readTimeline, vitictl } from './lab.js';
import { round, summarize } from './stats.js';

/**
 * burst 1: the bare schedule; the default burst (R/10): the catch-up, spread by the 1.2× cap. Machines,
 * and ConfigMaps: the API server on these 2 cores cannot complete 500 Machines/s, and the pacer is
 * only measured apart from its sink where the sink keeps up.
 */
const CASES = [
  { rate: 50, burst: 1, objects: 'machines' },
  { rate: 200, burst: 1, objects: 'machines' },
  { rate: 500, burst: 1, objects: 'machines' },
  { rate: 500, burst: undefined, objects: 'machines' },
  { rate: 1000, burst: undefined, objects: 'machines' },
  { rate: 500, burst: undefined, objects: 'configmaps' },
  { rate: 1000, burst: undefined, objects: 'configmaps' },
] as const;
const RATE_SECONDS = 10;

/** The smallest object the API server stores: a ConfigMap with one key, over 10 namespaces. */
const CONFIGMAPS_SCENARIO = `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata: {name: configmaps}
spec:
  seed: 1
  namespaces: {count: 10, nameTemplate: "vitictl-{{runId}}-{{nsIndex}}"}
  objects:
    - name: configmaps
      apiVersion: v1
      kind: ConfigMap
      scope: Namespaced
      count: 1000
      template:
        data: {index: "i-{{index}}"}
`;

export function rateAccuracy(lab: Lab) {
  const configmaps = join(lab.dir, 'configmaps.scenario.yaml');
  writeFileSync(configmaps, CONFIGMAPS_SCENARIO);
  const runs = CASES.map(({ rate, burst, objects }) => {
    log(`rate ${rate}/s, burst ${burst ?? 'default'}, ${objects}…`);
    const runId = `bench-rate-${rate}-${burst ?? 'default'}-${objects}`;
    const count = rate * RATE_SECONDS;
    const timeline = join(lab.dir, `${runId}.ndjson`);
    const loadBefore = load();
    const { result, seconds } = vitictl(
      lab,
      [
        'apply',
        objects === 'machines' ? 'machines' : configmaps,
        '--count',
        String(count),
        '--run-id',
        runId,
        '-o',
        'json',
        '--no-wait',
        '--qps',
        String(rate),
        ...(burst ? ['--burst', String(burst)] : []),
        '-q',
        '--timeline',
        timeline,
      ],
      10 * MINUTE,
    );
    const apply = result.apply;
    if (!apply) throw new Error(`vitictl ${runId}: no apply section`);
    const rows = readTimeline(timeline);
    const sent = rows.map((row) => row.sent as number).sort((a, b) => a - b);
    const gaps = sent.slice(1).map((t, i) => t - (sent[i] as number));
    const lateness = rows.map((row) => (row.sent as number) - (row.intended as number));
    const errorPercent = ((apply.achievedRate - rate) / rate) * 100;
    const ideal = rate / 10;
    const latenessMs = summarize(lateness, 2);
    return {
      objects: `${count} ${objects === 'machines' ? 'Machines' : 'ConfigMaps'}`,
      requestedRate: rate,
      burst: apply.burst,
      completedRate: apply.completedRate,
      achievedRate: apply.achievedRate,
      errorPercent: round(errorPercent, 2),
      maxStartsIn100ms: apply.maxStartsIn100ms,
      idealStartsIn100ms: ideal,
      lateStarts: apply.lateStarts,
      startIntervalMs: { ideal: round(1000 / rate, 2), ...summarize(gaps, 2) },
      startLatenessMs: latenessMs,
      scheduleSlips: apply.scheduleSlips,
      createThroughput: apply.createThroughput,
      createLatencyMs: { p50: apply.latency.create.p50, p99: apply.latency.create.p99 },
      errors: apply.errors,
      created: apply.counts.created,
      wallSeconds: seconds,
      loadAverage: { before: loadBefore, after: load() },
      met: {
        within2Percent: Math.abs(errorPercent) <= 2,
        evenlySpaced: apply.maxStartsIn100ms <= Math.ceil(ideal) + 1 && apply.lateStarts === 0,
        catchUpWithin1_2x: apply.maxStartsIn100ms <= Math.floor(1.2 * ideal) + 1,
        latenessP99Within5ms: latenessMs.p99 <= 5,
      },
    };
  });
  return {
    runs,
    note: `node bin/vitictl.js apply machines|CONFIGMAPS_SCENARIO --count 10·R --no-wait --qps R [--burst B] -o json -q --timeline FILE, (R, B, objects) = ${CASES.map((c) => `(${c.rate}, ${c.burst ?? 'default R/10'}, ${c.objects})`).join(', ')} (~${RATE_SECONDS} s each), in the operator-less lab after part 1, cleanup on. achievedRate, maxStartsIn100ms, lateStarts (starts > 10 ms after their intended time) from the RunResult; errorPercent = (achieved − R)/R; startIntervalMs = gaps between consecutive "sent" times from the timeline (client wall clock, µs resolution); startLatenessMs = sent − intended per object. met.evenlySpaced: maxStartsIn100ms <= ceil(R/10) + 1 (a 100-ms window can hold one start more than R/10 by jitter alone) and no late starts; met.catchUpWithin1_2x: maxStartsIn100ms <= ⌊1.2·R/10⌋ + 1 (the catch-up cap, and one more by jitter alone: the cap counts decisions, the window counts sends); met.latenessP99Within5ms: startLatenessMs.p99 <= 5`,
  };
}
