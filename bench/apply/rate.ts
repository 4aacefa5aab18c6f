import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Pacing } from '../../src/report/sections/pacing.js';
import { root } from '../lib.js';
import { type Lab, load, log, MINUTE, pinLab, readTimeline, vitictl } from './lab.js';
import { must } from './proc.js';
import { median, round, summarize } from './stats.js';

interface Case {
  rate: number;
  burst?: number;
  objects: 'machines' | 'configmaps';
  apiserverScrape?: false;
  round?: number;
  /** the generator on these CPUs only (the lab on the others) */
  cpus?: string;
}

/**
 * burst 1: the bare schedule; the default burst (R/10): the catch-up, spread by the 1.2× cap. On
 * Machines here; the API server on these 2 cores cannot complete 500 Machines/s, so the pacer is
 * measured apart from its sink on ConfigMaps (PACER_RATES), which it completes at 500/s (at 1,000/s
 * ~800/s: pacing.inFlightWaitMs says when that held starts back).
 */
const MACHINE_CASES: Case[] = [
  { rate: 50, burst: 1, objects: 'machines' },
  { rate: 200, burst: 1, objects: 'machines' },
  { rate: 500, burst: 1, objects: 'machines' },
  { rate: 500, objects: 'machines' },
  { rate: 1000, objects: 'machines' },
];
/**
 * ConfigMaps at these rates, in PACER_ROUNDS rounds of three runs back to back: vitictl, vitictl
 * without its API-server scrape, and the bare pacer; medians over the rounds, since the host's load
 * moves between runs minutes apart.
 */
const PACER_RATES = [500, 1000];
const PACER_ROUNDS = 3;
/**
 * The generators again with a core of their own: the lab's processes on the other CPUs, vitictl (with
 * its API-server scrape) and the bare pacer on CPU 0, PACER_ROUNDS rounds. At this rate only: on one
 * core this lab completes ~700 ConfigMaps/s, so at 1,000/s the creates pile up to the in-flight guard
 * and the lateness measures that, not the generator.
 */
const PINNED_RATE = 500;
const GENERATOR_CPU = '0';
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

/** The RunResult's pacing section, or the bare pacer's, in the bench's units (no histogram). */
function pacingFigures(pacing: Pacing | undefined) {
  if (!pacing) throw new Error('no pacing section: an open-loop run records one');
  const l = pacing.lateness;
  return {
    latenessMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    lateStretches: pacing.lateStretches,
    lateStretchMs: pacing.lateStretchMs,
    cpuWaitMs: pacing.cpuWaitMs,
    cpuWaitShare: pacing.cpuWaitShare,
    inFlightWaitMs: pacing.inFlightWaitMs ?? null,
  };
}

/** The bare pacer's run at R/s for RATE_SECONDS, in its own process: its pacing and answers. */
function barePacer(lab: Lab, rate: number, round: number, cpus?: string) {
  log(`bare pacer ${rate}/s, ConfigMaps, round ${round}${cpus ? `, on CPU ${cpus}` : ''}…`);
  const node = [process.execPath];
  const command = cpus ? ['taskset', '-c', cpus, ...node] : node;
  const ran = must(
    command[0]!,
    [
      ...command.slice(1),
      '--import',
      'tsx',
      join(root, 'bench/apply/bare-pacer.ts'),
      lab.server,
      lab.pki,
      `bench-bare-${rate}-${round}${cpus ? '-pinned' : ''}`,
      String(rate),
      String(rate * RATE_SECONDS),
    ],
    { env: lab.env, timeoutMs: 5 * MINUTE },
  );
  const out = JSON.parse(ran.stdout) as { pacing: Pacing; statuses: Record<string, number> };
  return { round, answers: out.statuses, pacing: pacingFigures(out.pacing), loadAverageAfter: load() };
}

export function rateAccuracy(lab: Lab) {
  const configmaps = join(lab.dir, 'configmaps.scenario.yaml');
  writeFileSync(configmaps, CONFIGMAPS_SCENARIO);
  const measure = ({ rate, burst, objects, apiserverScrape, round: pass, cpus }: Case) => {
    const scrape = apiserverScrape === false ? 'no-apiserver-metrics' : 'apiserver-metrics';
    log(
      `rate ${rate}/s, burst ${burst ?? 'default'}, ${objects}, ${scrape}${pass ? `, round ${pass}` : ''}${cpus ? `, on CPU ${cpus}` : ''}…`,
    );
    const runId = `bench-rate-${rate}-${burst ?? 'default'}-${objects}${apiserverScrape === false ? '-noscrape' : ''}${cpus ? '-pinned' : ''}${pass ? `-${pass}` : ''}`;
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
        ...(apiserverScrape === false ? ['--no-apiserver-metrics'] : []),
      ],
      10 * MINUTE,
      false,
      cpus,
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
      apiserverScrape: apiserverScrape !== false,
      ...(pass ? { round: pass } : {}),
      ...(cpus ? { generatorCpus: cpus } : {}),
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
      pacing: pacingFigures(apply.pacing),
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
  };
  const runs = MACHINE_CASES.map(measure);
  const pacerComparison = PACER_RATES.map((rate) => {
    const rounds = Array.from({ length: PACER_ROUNDS }, (_, i) => {
      const withScrape = measure({ rate, objects: 'configmaps', round: i + 1 });
      const withoutScrape = measure({ rate, objects: 'configmaps', apiserverScrape: false, round: i + 1 });
      runs.push(withScrape, withoutScrape);
      return { withScrape, withoutScrape, bare: barePacer(lab, rate, i + 1) };
    });
    const p99 = (pick: (r: (typeof rounds)[number]) => { pacing: ReturnType<typeof pacingFigures> }) =>
      rounds.map((r) => pick(r).pacing.latenessMs.p99);
    const share = (pick: (r: (typeof rounds)[number]) => { pacing: ReturnType<typeof pacingFigures> }) =>
      round(median(rounds.map((r) => pick(r).pacing.cpuWaitShare ?? Number.NaN)), 3);
    const medians = {
      vitictl: round(median(p99((r) => r.withScrape)), 2),
      vitictlNoApiserverScrape: round(median(p99((r) => r.withoutScrape)), 2),
      barePacer: round(median(p99((r) => r.bare)), 2),
    };
    return {
      requestedRate: rate,
      objects: `${rate * RATE_SECONDS} ConfigMaps`,
      latenessP99Ms: {
        vitictl: p99((r) => r.withScrape),
        vitictlNoApiserverScrape: p99((r) => r.withoutScrape),
        barePacer: p99((r) => r.bare),
      },
      medianLatenessP99Ms: medians,
      medianRatioToBarePacer: {
        vitictl: round(medians.vitictl / medians.barePacer, 2),
        vitictlNoApiserverScrape: round(medians.vitictlNoApiserverScrape / medians.barePacer, 2),
      },
      medianCpuWaitShare: {
        vitictl: share((r) => r.withScrape),
        vitictlNoApiserverScrape: share((r) => r.withoutScrape),
        barePacer: share((r) => r.bare),
      },
      barePacerRuns: rounds.map((r) => r.bare),
      met: { latenessP99Within5ms: medians.vitictl <= 5, barePacerWithin5ms: medians.barePacer <= 5 },
    };
  });
  const pinned = pinnedComparison(lab, measure);
  return {
    runs,
    pacerComparison,
    pinnedComparison: pinned,
    pinnedComparisonNote: `ConfigMaps at ${PINNED_RATE}/s, ${PACER_ROUNDS} rounds of vitictl (API-server scrape on) and the bare pacer, each run under taskset -c ${GENERATOR_CPU}, with every thread of the lab's etcd, API server and controller manager moved to the other CPUs (taskset -a -p) for these rounds and back after: the generator on a core the system under test does not use; null on a host with one CPU`,
    pacerComparisonNote: `ConfigMaps at R = ${PACER_RATES.join(' and ')}/s, ${PACER_ROUNDS} rounds, each: vitictl (the runs above with a round), vitictl --no-apiserver-metrics, then bench/apply/bare-pacer.ts in its own process: an absolute schedule, a timer to each start (setImmediate under 1 ms), node:https with a 64-socket keep-alive pool, answers drained and counted, nothing tracked, no vitictl code on the sending path; one namespace; its ConfigMaps deleted by one collection DELETE before the next measurement. Its lateness is measured with the ruler vitictl uses (src/load/start-lateness.ts on the thread's /proc/thread-self/schedstat), so they differ in the generator only. medianRatioToBarePacer = the median over the rounds of vitictl's start-lateness p99 (RunResult apply.pacing) / the bare pacer's median; medianCpuWaitShare: of the late stretches' lateness, the median share the generator's main thread waited on the OS run queue`,
    note: `node bin/vitictl.js apply machines|CONFIGMAPS_SCENARIO --count 10·R --no-wait --qps R [--burst B] -o json -q --timeline FILE, (R, B, objects, API-server scrape) = ${[...MACHINE_CASES, ...PACER_RATES.map((rate): Case => ({ rate, objects: 'configmaps' }))].map((c) => `(${c.rate}, ${c.burst ?? 'default R/10'}, ${c.objects}, ${c.apiserverScrape === false ? 'off: --no-apiserver-metrics' : 'on'})`).join(', ')} (~${RATE_SECONDS} s each), in the operator-less lab after part 1, cleanup on. achievedRate, maxStartsIn100ms, lateStarts (starts > 10 ms after their intended time) from the RunResult; errorPercent = (achieved − R)/R; startIntervalMs = gaps between consecutive "sent" times from the timeline (client wall clock, µs resolution); startLatenessMs = sent − intended per object (nearest rank, from the timeline); pacing = the RunResult's apply.pacing (HDR histogram; late stretches: runs of starts > 5 ms late; cpuWaitShare: of their lateness, the time vitictl's main thread waited on the OS run queue). met.evenlySpaced: maxStartsIn100ms <= ceil(R/10) + 1 (a 100-ms window can hold one start more than R/10 by jitter alone) and no late starts; met.catchUpWithin1_2x: maxStartsIn100ms <= ⌊1.2·R/10⌋ + 1 (the catch-up cap, and one more by jitter alone: the cap counts decisions, the window counts sends); met.latenessP99Within5ms: startLatenessMs.p99 <= 5`,
  };
}

/** PINNED_RATE with the generators on GENERATOR_CPU and the lab on the other CPUs; null on one CPU. */
function pinnedComparison(lab: Lab, measure: (c: Case) => { pacing: ReturnType<typeof pacingFigures> }) {
  const cpus = availableParallelism();
  if (cpus < 2) return null;
  pinLab(lab, `1-${cpus - 1}`);
  try {
    const rounds = Array.from({ length: PACER_ROUNDS }, (_, i) => ({
      vitictl: measure({ rate: PINNED_RATE, objects: 'configmaps', round: i + 1, cpus: GENERATOR_CPU }),
      bare: barePacer(lab, PINNED_RATE, i + 1, GENERATOR_CPU),
    }));
    const p99 = rounds.map((r) => ({
      vitictl: r.vitictl.pacing.latenessMs.p99,
      bare: r.bare.pacing.latenessMs.p99,
    }));
    const medians = {
      vitictl: round(median(p99.map((r) => r.vitictl)), 2),
      barePacer: round(median(p99.map((r) => r.bare)), 2),
    };
    return {
      requestedRate: PINNED_RATE,
      generatorCpus: GENERATOR_CPU,
      labCpus: `1-${cpus - 1}`,
      latenessP99Ms: { vitictl: p99.map((r) => r.vitictl), barePacer: p99.map((r) => r.bare) },
      medianLatenessP99Ms: medians,
      medianRatioToBarePacer: round(medians.vitictl / medians.barePacer, 2),
      medianCpuWaitShare: {
        vitictl: round(median(rounds.map((r) => r.vitictl.pacing.cpuWaitShare ?? Number.NaN)), 3),
        barePacer: round(median(rounds.map((r) => r.bare.pacing.cpuWaitShare ?? Number.NaN)), 3),
      },
      runs: rounds,
      met: { latenessP99Within5ms: medians.vitictl <= 5, barePacerWithin5ms: medians.barePacer <= 5 },
    };
  } finally {
    pinLab(lab, `0-${cpus - 1}`);
  }
}
