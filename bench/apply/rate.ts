import { join } from 'node:path';
import { applyMachines, type Lab, load, log, MINUTE, readTimeline } from './lab.js';
import { round, summarize } from './stats.js';

const RATES = [50, 200, 500] as const;
const RATE_SECONDS = 10;

export function rateAccuracy(lab: Lab) {
  const runs = RATES.map((rate) => {
    log(`rate ${rate}/s…`);
    const runId = `bench-rate-${rate}`;
    const count = rate * RATE_SECONDS;
    const timeline = join(lab.dir, `rate-${rate}.ndjson`);
    const loadBefore = load();
    const { result, seconds } = applyMachines(
      lab,
      count,
      runId,
      ['--no-wait', '--qps', String(rate), '--burst', '1', '-q', '--timeline', timeline],
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
    return {
      requestedRate: rate,
      objects: count,
      achievedRate: apply.achievedRate,
      errorPercent: round(errorPercent, 2),
      maxStartsIn100ms: apply.maxStartsIn100ms,
      idealStartsIn100ms: ideal,
      lateStarts: apply.lateStarts,
      startIntervalMs: { ideal: round(1000 / rate, 2), ...summarize(gaps, 2) },
      startLatenessMs: summarize(lateness, 2),
      createThroughput: apply.createThroughput,
      createLatencyMs: { p50: apply.latency.create.p50, p99: apply.latency.create.p99 },
      errors: apply.errors,
      created: apply.counts.created,
      wallSeconds: seconds,
      loadAverage: { before: loadBefore, after: load() },
      met: {
        within2Percent: Math.abs(errorPercent) <= 2,
        evenlySpaced: apply.maxStartsIn100ms <= Math.ceil(ideal) + 1 && apply.lateStarts === 0,
      },
    };
  });
  return {
    runs,
    note: `node bin/vitictl.js apply machines --count 10·R --no-wait --qps R --burst 1 -o json -q --timeline FILE, R = ${RATES.join(', ')} (~${RATE_SECONDS} s each), in the operator-less lab after part 1, cleanup on. achievedRate, maxStartsIn100ms, lateStarts (starts > 10 ms after their intended time) from the RunResult; errorPercent = (achieved − R)/R; startIntervalMs = gaps between consecutive "sent" times from the timeline (client wall clock, µs resolution); startLatenessMs = sent − intended per object. met.evenlySpaced: maxStartsIn100ms <= ceil(R/10) + 1 (a 100-ms window can hold one start more than R/10 by jitter alone) and no late starts`,
  };
}
