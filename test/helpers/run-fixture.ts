import { evaluateGate } from '../../src/perf/gates/evaluate.js';
import { parseGate } from '../../src/perf/gates/grammar.js';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../../src/report/histogram.js';
import type { ShardFile } from '../../src/report/merge.js';
import type { ObjectCounts, RunResult } from '../../src/report/run-result.js';

/** RunResults for tests: the shards of one run, consistent in every count and histogram. */

/** One cluster-wide watch that never broke. */
export const quietWatch = {
  scope: 'cluster' as const,
  watches: 1,
  reconnects: 0,
  relists: 0,
  readyFromRelist: 0,
  eventsBeforeAck: 0,
  gaps: [],
};

export const hdr = (values: number[]): LatencySummary => {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return summarize(h);
};

export const counts = (n: number, failed = 0): ObjectCounts => ({
  total: n,
  ready: n - failed,
  failed,
  timedOut: 0,
  notWaited: 0,
  interrupted: 0,
  notStarted: 0,
  created: n,
});

export const at = (seconds: number) =>
  new Date(Date.UTC(2026, 10, 26, 8, 0, 0) + seconds * 1000).toISOString();

/** Shard `index` of 3: `ready` are its time-to-ready values; it starts `offset` seconds after 08:00. */
export function shard(index: number, ready: number[], offset: number, count = 3): ShardFile {
  const latency = {
    create: hdr(ready.map((v) => v / 10)),
    timeToReady: hdr(ready),
    serverTimeToReady: hdr([1000]),
  };
  const n = ready.length;
  const result: RunResult = {
    schemaVersion: 2,
    kind: 'vitictl.io/RunResult',
    tool: { name: 'vitictl', version: '0.1.0' },
    runId: 'big-1',
    scenario: { name: 'machines', file: 'scenarios/machines.yaml', seed: 42, objects: n },
    shard: { index, count, scenarioObjects: 300 },
    target: {
      server: 'https://127.0.0.1:6443',
      context: 'lab',
      kubernetesVersion: 'v1.37.2',
      insecureSkipTlsVerify: false,
    },
    startedAt: at(offset - 1),
    endedAt: at(offset + 12),
    interrupted: false,
    phases: [{ name: 'apply', start: at(offset), end: at(offset + 10), seconds: 10 }],
    apply: {
      mode: 'open',
      requestedRate: 10,
      burst: 1,
      concurrency: null,
      achievedRate: 10,
      createThroughput: 10,
      completedRate: 10,
      maxStartsIn100ms: 2,
      lateStarts: index,
      scheduleSlips: 0,
      pacing: {
        lateness: hdr(ready.map((v) => v / 100)),
        lateStretches: index + 1,
        lateStretchMs: 10 * (index + 1),
        cpuWaitMs: 5 * index,
        cpuWaitShare: index / (2 * (index + 1)),
      },
      creation: { start: at(offset), end: at(offset + 10), seconds: 10 },
      counts: counts(n, index === 2 ? 1 : 0),
      sets: [
        {
          set: 'machines',
          apiVersion: 'vitistack.io/v1alpha1',
          kind: 'Machine',
          plural: 'machines',
          namespaced: true,
          waited: true,
          readiness: 'phase Running',
          counts: counts(n, index === 2 ? 1 : 0),
          latency,
        },
      ],
      latency: { ...latency, watchLag: hdr([1, 2]) },
      errors: { '429': index },
      retries: index,
      attempts: {
        retriedObjects: index,
        maxAttempts: index + 1,
        throttledObjects: index,
        throttledSeconds: index / 2,
      },
      failures: index === 2 ? [{ kind: 'Machine', name: 'm-2', stage: 'ready', reason: 'boom' }] : [],
      failureReasons: index === 2 ? { boom: 1 } : {},
      series: [
        { t: 0, created: 10, ready: 0 },
        { t: 1, created: 10, ready: 10 },
      ],
      watch: quietWatch,
    },
    cleanup: {
      found: n,
      deleted: n,
      alreadyGone: 0,
      failed: 0,
      errors: index === 1 ? { '503': 2 } : {},
      retries: index === 1 ? 2 : 0,
      namespacesDeleted: [`ns-${index}`],
      namespacesFailed: [],
      leftBehind: [],
      leftBehindCount: 0,
      problems: [],
      seconds: 1,
      namespacesWait: { seconds: 0.5 + index, timedOut: false },
    },
    gates: [evaluateGate(parseGate('objects.ready >= 250'), { apply: { counts: counts(n) } } as RunResult)],
    methods: {},
  };
  return { file: `shard-${index}.json`, result };
}
