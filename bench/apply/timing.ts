// The apply bench, part: timing accuracy against the API server's audit log, with a second, idle reader
// of the same watch as the baseline for what the server delivers; its recordings feed the replay part.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ID_LABEL } from '../../src/kube/labels.js';
import { auditLogPath } from '../../src/lab/audit.js';
import { defaultPerformanceYaml } from '../../src/lab/install.js';
import type { LabUpOptions } from '../../src/lab/lab.js';
import type { TimelineRow } from '../../src/load/apply-engine.js';
import { root } from '../lib.js';
import { applyMachines, type Lab, load, log, MINUTE, readTimeline } from './lab.js';
import { pollError, summarize } from './stats.js';

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
/** requested creates per second, one round each, in this order */
const TIMING_RATES = [100, 100, 100, 50, 50];
const TARGET_P99_MS = 20;

/** One watch event as the recorder read it: the wall time the chunk that completed its line arrived. */
export interface RecordedEvent {
  at: number;
  line: string;
  type: string;
  key: string;
  resourceVersion: string;
  phase: string | undefined;
}

/** A recorder's file as events, in the order read. */
export function readRecording(file: string): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let pending = '';
  for (const row of readFileSync(file, 'utf8').split('\n')) {
    if (row === '') continue;
    const chunk = JSON.parse(row) as { at: number; text: string };
    pending += chunk.text;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as {
        type: string;
        object: {
          metadata: { namespace?: string; name: string; resourceVersion: string };
          status?: { phase?: string };
        };
      };
      const metadata = event.object.metadata;
      events.push({
        at: chunk.at,
        line,
        type: event.type,
        key: `${metadata.namespace ?? ''}/${metadata.name}`,
        resourceVersion: metadata.resourceVersion,
        phase: event.object.status?.phase,
      });
    }
  }
  return events;
}

/** Start the idle second reader (its own process) and wait until its watch is open. */
async function startRecorder(lab: Lab, selector: string, file: string): Promise<ChildProcess> {
  const script = join(root, 'bench/apply/watch-recorder.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, lab.server, lab.pki, selector, file], {
    cwd: root,
    env: lab.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (data) => {
    output += String(data);
  });
  const opened = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('watch-recorder: no answer in 30 s')), 30_000);
    child.stdout?.once('data', (data) => {
      clearTimeout(timer);
      if (String(data).startsWith('open 200')) resolve();
      else reject(new Error(`watch-recorder: ${String(data)}${output}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`watch-recorder exited ${code}: ${output}`));
    });
  });
  await opened;
  return child;
}

async function stopRecorder(recorder: ChildProcess): Promise<void> {
  const exited = once(recorder, 'exit');
  recorder.kill('SIGTERM');
  await exited;
}

/**
 * One round's split, per ready object joined with the audit log (vitictl's `committed`) and with the
 * idle reader's read of the same event (same namespace/name and resourceVersion). All on the host's
 * one clock: the audit stamp and the timeline are wall ms, the reader's too.
 */
function splitRound(rows: TimelineRow[], recording: RecordedEvent[]) {
  const idleRead = new Map<string, number>();
  for (const event of recording) {
    const id = `${event.key}@${event.resourceVersion}`;
    if (!idleRead.has(id)) idleRead.set(id, event.at);
  }
  const start = Math.min(...rows.map((row) => row.sent ?? Number.POSITIVE_INFINITY));
  const total: number[] = [];
  const own: number[] = [];
  const delivered: number[] = [];
  const behindIdle: number[] = [];
  const poll1s: number[] = [];
  let unmatched = 0;
  let idleMissing = 0;
  for (const row of rows) {
    if (row.committed === undefined || row.ready === undefined || row.marked === undefined) {
      unmatched++;
      continue;
    }
    total.push(row.marked - row.committed);
    own.push((row.marked - row.ready) * 1000);
    poll1s.push(pollError(row.committed, start, 1000));
    const idle = idleRead.get(`${row.namespace ?? ''}/${row.name}@${row.readyVersion}`);
    if (idle === undefined) idleMissing++;
    else {
      delivered.push(idle - row.committed);
      behindIdle.push(row.ready - idle);
    }
  }
  return {
    joined: total.length,
    unmatched,
    idleMissing,
    commitToMarkedMs: summarize(total, 2),
    commitToIdleReadMs: summarize(delivered, 2),
    vitictlReadBehindIdleMs: summarize(behindIdle, 2),
    ownPartUs: summarize(own, 0),
    poll1sErrorMs: summarize(poll1s, 1),
    readBeforeCommit: total.filter((ms) => ms < 0).length,
  };
}

export interface TimingOutcome {
  result: Record<string, unknown>;
  /** the idle reader's recordings of the rounds at 100/s, for the replay */
  recordings: string[];
}

export async function timingAccuracy(lab: Lab): Promise<TimingOutcome> {
  const rounds: Array<Record<string, unknown>> = [];
  const recordings: string[] = [];
  for (const [index, rate] of TIMING_RATES.entries()) {
    const runId = `bench-timing-${index + 1}`;
    const timeline = join(lab.dir, `timing-${index + 1}.ndjson`);
    const recording = join(lab.dir, `watch-${index + 1}.ndjson`);
    log(`timing round ${index + 1}/${TIMING_RATES.length}: ${TIMING_OBJECTS} Machines at ${rate}/s…`);
    const recorder = await startRecorder(lab, `${RUN_ID_LABEL}=${runId}`, recording);
    const loadBefore = load();
    let ran: ReturnType<typeof applyMachines>;
    try {
      ran = applyMachines(
        lab,
        TIMING_OBJECTS,
        runId,
        ['--qps', String(rate), '--audit-log', auditLogPath(lab.dir), '--timeline', timeline],
        15 * MINUTE,
      );
    } finally {
      await stopRecorder(recorder);
    }
    const loadAfter = load();
    const apply = ran.result.apply;
    if (!apply?.groundTruth) throw new Error(`vitictl ${runId}: no ground truth in the result`);
    if (rate === 100) recordings.push(recording);
    const split = splitRound(readTimeline(timeline), readRecording(recording));
    const truth = apply.groundTruth;
    rounds.push({
      rate,
      objects: TIMING_OBJECTS,
      ready: apply.counts.ready,
      achievedRate: apply.achievedRate,
      ...split,
      runResult: {
        matched: truth.matched,
        readBeforeLogged: truth.readBeforeLogged,
        commitToReadMs: { p50: truth.commitToRead.p50, p99: truth.commitToRead.p99 },
        readToMarkedUs: { p50: truth.readToMarked.p50, p99: truth.readToMarked.p99 },
        commitToMarkedMs: { p50: truth.commitToMarked.p50, p99: truth.commitToMarked.p99 },
        apiserverCores: ran.result.apiserver?.cpu.cores ?? null,
        apiserverSchedWaitP99Ms: ran.result.apiserver?.cpu.schedWaitP99Ms ?? null,
      },
      wallSeconds: ran.seconds,
      loadAverage: { before: loadBefore, after: loadAfter },
      met: {
        commitToMarkedP99: split.commitToMarkedMs.p99 <= TARGET_P99_MS,
        ownPartP99Under1ms: split.ownPartUs.p99 <= 1000,
      },
    });
  }
  return {
    recordings,
    result: {
      rounds,
      targetP99Ms: TARGET_P99_MS,
      note: `lab WITH the operator (workers 16, provisionTime fixed:100ms, apiCallsPerReconcile 1, webhook off, performance ConfigMap defaultPerformanceYaml(16, 2000), real fsync, the API server's audit log on: status writes of the kinds at RequestResponse). Per round: node bin/vitictl.js apply machines --count ${TIMING_OBJECTS} --qps R --run-id bench-timing-N --audit-log LAB/logs/audit.log --timeline T -o json (cleanup on), while bench/apply/watch-recorder.ts, a second process doing nothing else, watches the same Machines (plain node:https) and records every chunk with the wall time it was read. Per ready object: committed = the audit stageTimestamp (µs, ResponseComplete) of the status write whose resourceVersion the ready event carries (vitictl's join, in the timeline); commitToMarkedMs = marked − committed (vitictl's whole error); commitToIdleReadMs = the idle reader's read of the same event (namespace/name@resourceVersion) − committed (what the server delivers to any client on this host); vitictlReadBehindIdleMs = vitictl's read − the idle reader's (vitictl's event loop and process); ownPartUs = marked − read, in vitictl; poll1sErrorMs = a 1 s poll from the first send (kube-burner's readiness listing, idealised: the LIST's own time not added). The server stamps ResponseComplete after it dispatched the watch event, so reads can come before the stamp (readBeforeCommit: negative values kept as measured). All on one host clock. runResult: the same run's apply.groundTruth as vitictl reports it (read-before-logged timed as 1 µs) and the API server's cores from its own metrics. Percentiles nearest-rank.`,
    },
  };
}
