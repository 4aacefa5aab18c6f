// Timing accuracy of `vitictl update` and `vitictl delete` against the lab's ground truth, beside an
// idealised 1 s poll (kube-burner's readiness listing), as the apply bench does for creates.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ID_LABEL } from '../src/kube/labels.js';
import { auditLogPath } from '../src/lab/audit.js';
import type { PhaseTimelineRow } from '../src/load/phases/phase-tracker.js';
import type { PhaseLoad } from '../src/report/sections/phase-load.js';
import { applyMachines, kubectl, type Lab, load, log, MINUTE, withLab } from './apply/lab.js';
import { run } from './apply/proc.js';
import { pollError, summarize } from './apply/stats.js';
import { TIMING_LAB } from './apply/timing.js';
import { bin, machine, writeResult } from './lib.js';

const OBJECTS = 300;
const QPS = 50;
// not one of the scenario's memory sizes (2, 4, 8, 16 GiB): every patch changes the spec
const PATCH = 'spec: {memory: 34359738368}\n';
const OBSERVED_ANNOTATION = 'lab.vitictl.io/observed-generation';
const OBSERVED = `.metadata.annotations['${OBSERVED_ANNOTATION}']`;

const readRows = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PhaseTimelineRow);

/** An RFC3339 time with µs ("…:25.675123Z") as epoch ms with the fraction kept (Date.parse drops it). */
function epochMs(stamp: string): number {
  const match = /\.(\d+)Z$/.exec(stamp);
  const whole = Date.parse(stamp.replace(/\.\d+Z$/, 'Z'));
  return match ? whole + Number(`0.${match[1]}`) * 1000 : whole;
}

interface AuditEvent {
  stage: string;
  verb: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestObject?: {
    status?: { phase?: string };
    metadata?: { annotations?: Record<string, string> };
  };
  stageTimestamp: string;
}

/**
 * From the lab's audit log, per Machine, after `from`: when it was first both Running and reporting
 * `generation` (the status write or the annotation write that completed the pair, whichever came
 * last), and its last write that was not a status write. Times are commits (ResponseComplete, µs).
 */
function groundTruth(file: string, from: number, generation: number) {
  const state = new Map<string, { phase?: string; observed?: number }>();
  const updated = new Map<string, number>();
  const lastMetadataWrite = new Map<string, number>();
  const events: Array<{ key: string; at: number; event: AuditEvent }> = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.includes('"machines"')) continue;
    const event = JSON.parse(line) as AuditEvent;
    const ref = event.objectRef;
    if (event.stage !== 'ResponseComplete' || ref?.resource !== 'machines') continue;
    if (event.verb !== 'patch' && event.verb !== 'update') continue;
    if ((event.responseStatus?.code ?? 200) >= 300) continue;
    events.push({ key: `${ref.namespace ?? ''}/${ref.name}`, at: epochMs(event.stageTimestamp), event });
  }
  events.sort((a, b) => a.at - b.at);
  for (const { key, at, event } of events) {
    const now = state.get(key) ?? {};
    const phase = event.requestObject?.status?.phase;
    const observed = event.requestObject?.metadata?.annotations?.[OBSERVED_ANNOTATION];
    if (phase !== undefined) now.phase = phase;
    if (observed !== undefined) now.observed = Number(observed);
    state.set(key, now);
    if (event.objectRef?.subresource !== 'status') lastMetadataWrite.set(key, at);
    if (at >= from && !updated.has(key) && now.phase === 'Running' && (now.observed ?? 0) >= generation)
      updated.set(key, at);
  }
  return { updated, lastMetadataWrite };
}

function phase(lab: Lab, args: string[]): PhaseLoad {
  const ran = run('node', [bin, ...args, '-o', 'json'], { env: lab.env, timeoutMs: 10 * MINUTE });
  if (ran.status !== 0)
    throw new Error(`vitictl ${args.join(' ')} exited ${ran.status}: ${ran.stderr.slice(-2000)}`);
  return JSON.parse(ran.stdout) as PhaseLoad;
}

/** One phase's figures: vitictl's error per object against the truth, beside an idealised 1 s poll's. */
function accuracy(
  load: PhaseLoad,
  joined: { errors: number[]; missing: number },
  truthTimes: number[],
  start: number,
) {
  return {
    counts: load.counts,
    joined: joined.errors.length,
    missing: joined.missing,
    vitictlErrorMs: summarize(joined.errors, 2),
    poll1sErrorMs: summarize(
      truthTimes.map((t) => pollError(t, start, 1000)),
      1,
    ),
    doneMs: { p50: load.latency.done.p50, p99: load.latency.done.p99 },
  };
}

function errorsAgainst(rows: PhaseTimelineRow[], truth: Map<string, number>) {
  const errors: number[] = [];
  let missing = 0;
  for (const row of rows) {
    const t = truth.get(`${row.namespace ?? ''}/${row.name}`);
    if (row.done === undefined || t === undefined) missing++;
    else errors.push(row.done - t);
  }
  return { errors, missing };
}

async function measure(lab: Lab) {
  const runId = 'bench-lifecycle';
  const loadBefore = load();
  applyMachines(lab, OBJECTS, runId, ['--qps', '100', '--keep'], 10 * MINUTE);

  log(`update ${OBJECTS} at ${QPS}/s…`);
  const patch = join(lab.dir, 'patch.yaml');
  writeFileSync(patch, PATCH);
  const updateTimeline = join(lab.dir, 'update.ndjson');
  const update = phase(lab, [
    'update',
    runId,
    'machines',
    '--patch',
    patch,
    '--qps',
    String(QPS),
    '--observed-generation',
    OBSERVED,
    '--timeline',
    updateTimeline,
  ]);
  const updateRows = readRows(updateTimeline);
  const updateStart = Math.min(...updateRows.map((row) => row.sent));
  log(`delete ${OBJECTS} at ${QPS}/s…`);
  const deleteTimeline = join(lab.dir, 'delete.ndjson');
  const del = phase(lab, ['delete', runId, 'machines', '--qps', String(QPS), '--timeline', deleteTimeline]);
  const deleteRows = readRows(deleteTimeline);
  const truth = groundTruth(auditLogPath(lab.dir), updateStart, 2);
  const reconciled = truth.updated;
  const updated = errorsAgainst(updateRows, reconciled);
  // delete: the last write that was not a status write released the finalizer; the object went with it
  const released = truth.lastMetadataWrite;
  const deleted = errorsAgainst(deleteRows, released);
  const deleteStart = Math.min(...deleteRows.map((row) => row.sent));
  const releaseTimes = deleteRows.flatMap((row) => released.get(`${row.namespace ?? ''}/${row.name}`) ?? []);
  const reconciledTimes = updateRows.flatMap(
    (row) => reconciled.get(`${row.namespace ?? ''}/${row.name}`) ?? [],
  );
  kubectl(lab, ['delete', 'namespaces', '-l', `${RUN_ID_LABEL}=${runId}`, '--wait=false'], 2 * MINUTE);
  return {
    objects: OBJECTS,
    qps: QPS,
    update: accuracy(update, updated, reconciledTimes, updateStart),
    delete: accuracy(del, deleted, releaseTimes, deleteStart),
    loadAverage: { before: loadBefore, after: load() },
    note: `lab with the operator (workers 16, provisionTime fixed:100ms, apiCallsPerReconcile 1, webhook off, defaultPerformanceYaml(16, 2000), real fsync). vitictl apply machines --count ${OBJECTS} --qps 100 --keep; vitictl update RUN machines --patch {spec: {memory: 34359738368}} (a size no Machine of the scenario has) --qps ${QPS} --observed-generation "${OBSERVED}" --timeline T; vitictl delete RUN machines --qps ${QPS} --timeline T. Per object (joined on namespace/name): update error = the timeline's "done" (the watch event showing the new generation reconciled and Running was read; performance.timeOrigin + performance.now(), wall ms) − the audit log's ResponseComplete stageTimestamp (µs) of the write after which the object was first both Running (a status write) and annotated with generation 2 (a metadata write), whichever of the two came last: the moment it became updated by vitictl's definition (the error is the watch delivery and vitictl's own part); delete error = "done" (the DELETED event read) − the audit log's ResponseComplete stageTimestamp (µs) of the last non-status patch to the object: the write that released its finalizer, after which it was gone. Same host clock. A 1 s poll started at the first "sent" sees a change at the first tick at or after it (an idealised lower bound: the LIST's own latency not added). Percentiles nearest-rank`,
  };
}

export async function benchLifecycle(): Promise<string> {
  log('lab with operator (workers 16, fixed:100ms, real fsync): update and delete timing…');
  const measured = await withLab(TIMING_LAB, measure);
  return writeResult('lifecycle', { machine: machine(), ...measured });
}
