// The apply bench, part: timing accuracy against the operator's ground-truth ready-at stamps.
import { join } from 'node:path';
import { RUN_ID_LABEL } from '../../src/kube/labels.js';
import { defaultPerformanceYaml } from '../../src/lab/install.js';
import type { LabUpOptions } from '../../src/lab/lab.js';
import { applyMachines, kubectl, kubectlDelete, type Lab, load, log, MINUTE, readTimeline } from './lab.js';
import { summarize } from './stats.js';

/**
 * The lab the timing benches measure against (creates here, updates and deletes in the lifecycle
 * bench): the operator quick and steady, real fsync.
 */
export const TIMING_LAB: Omit<LabUpOptions, 'dir'> = {
  unsafeNoFsync: false,
  workers: 16,
  provisionTime: 'fixed:100ms',
  apiCallsPerReconcile: 1,
  webhook: false,
  performanceYaml: defaultPerformanceYaml(16, 2000),
};

const TIMING_OBJECTS = 1_000;
const TIMING_QPS = 100;
const READY_AT = 'lab.vitictl.io/ready-at';

function pollErrors(readyAt: number[], start: number, periodMs: number): number[] {
  return readyAt.map((t) => start + Math.ceil((t - start) / periodMs) * periodMs - t);
}

export async function timingAccuracy(lab: Lab) {
  const runId = 'bench-timing';
  const timeline = join(lab.dir, 'timing.ndjson');
  const loadBefore = load();
  const { result, seconds } = applyMachines(
    lab,
    TIMING_OBJECTS,
    runId,
    ['--qps', String(TIMING_QPS), '--keep', '--timeline', timeline],
    15 * MINUTE,
    true,
  );
  const loadAfter = load();
  const apply = result.apply;
  if (!apply) throw new Error('vitictl bench-timing: no apply section');
  const listed = kubectl(
    lab,
    ['get', 'machines', '-A', '-l', `${RUN_ID_LABEL}=${runId}`, '-o', 'json'],
    5 * MINUTE,
  );
  const truth = new Map<string, number>();
  for (const item of (
    JSON.parse(listed.stdout) as {
      items: Array<{ metadata: { namespace: string; name: string; annotations?: Record<string, string> } }>;
    }
  ).items) {
    const stamp = item.metadata.annotations?.[READY_AT];
    if (stamp) truth.set(`${item.metadata.namespace}/${item.metadata.name}`, Date.parse(stamp));
  }
  const rows = readTimeline(timeline);
  const start = Math.min(...rows.map((row) => row.sent ?? Number.POSITIVE_INFINITY));
  const joined: Array<{ client: number; truth: number }> = [];
  let missing = 0;
  for (const row of rows) {
    const t = truth.get(`${row.namespace}/${row.name}`);
    if (row.ready === undefined || t === undefined) missing++;
    else joined.push({ client: row.ready, truth: t });
  }
  const vitictlErrors = joined.map((j) => j.client - j.truth);
  const readyAt = joined.map((j) => j.truth);
  const vitictlSummary = summarize(vitictlErrors, 2);
  log('deleting the timing objects…');
  const deleted = await kubectlDelete(lab, runId);
  return {
    objects: TIMING_OBJECTS,
    ready: apply.counts.ready,
    joined: joined.length,
    missing,
    negativeErrors: vitictlErrors.filter((e) => e < 0).length,
    vitictlErrorMs: vitictlSummary,
    poll1sErrorMs: summarize(pollErrors(readyAt, start, 1000), 1),
    poll10sErrorMs: summarize(pollErrors(readyAt, start, 10_000), 1),
    runResult: {
      achievedRate: apply.achievedRate,
      timeToReadyMs: { p50: apply.latency.timeToReady.p50, p99: apply.latency.timeToReady.p99 },
      watchLagMs: {
        p50: apply.latency.watchLag.p50,
        p99: apply.latency.watchLag.p99,
        max: apply.latency.watchLag.max,
      },
      watch: {
        reconnects: apply.watch.reconnects,
        relists: apply.watch.relists,
        readyFromRelist: apply.watch.readyFromRelist,
      },
    },
    wallSeconds: seconds,
    deleteSeconds: deleted.seconds,
    loadAverage: { before: loadBefore, after: loadAfter },
    target: { vitictlP99Ms: 20, met: vitictlSummary.p99 <= 20 },
    note: `lab WITH the operator (workers 16, provisionTime fixed:100ms, apiCallsPerReconcile 1, webhook off, performance ConfigMap defaultPerformanceYaml(16, 2000), real fsync). node bin/vitictl.js apply machines --count ${TIMING_OBJECTS} --qps ${TIMING_QPS} --keep --run-id ${runId} --timeline T -o json; then kubectl get machines -A -l vitictl.io/run-id=${runId} -o json. Per object (joined on namespace/name): error = the timeline's "ready" (vitictl's watch saw phase Running; performance.timeOrigin + performance.now(), wall ms) − the operator's ${READY_AT} (RFC3339 ms, taken just before its status patch, so the error includes that patch's commit and the watch delivery; the stamp is truncated to ms, so errors read up to 1 ms high). Same host clock. A poll with period P started at the first "sent" time sees an object at the first tick ≥ its ready-at: error = that tick − ready-at (an idealised poll: the LIST's own latency not added, so a lower bound). Percentiles nearest-rank over all joined objects`,
  };
}
