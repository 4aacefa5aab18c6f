// vitictl's readiness tracking, as the CLI runs it (the built dist/: watch, REST client, tracker,
// readiness rule), fed by the replay server instead of a cluster; its own process, so its CPU and
// memory are its own.
//   node --import tsx bench/apply/replay-consumer.ts KUBECONFIG OBJECTS_FILE EVENTS
// OBJECTS_FILE: JSON [[namespace, name], …] the tracker waits for; EVENTS: events to read before it
// stops. Prints one JSON object.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../lib.js';

const dist = async <T>(path: string): Promise<T> =>
  (await import(pathToFileURL(join(root, 'dist', path)).href)) as T;

const { connect } = await dist<typeof import('../../src/kube/connect.js')>('kube/connect.js');
const { KubeRest } = await dist<typeof import('../../src/kube/rest.js')>('kube/rest.js');
const { ResumableWatch } = await dist<typeof import('../../src/kube/watch.js')>('kube/watch.js');
const { ObjectTracker } = await dist<typeof import('../../src/load/tracker.js')>('load/tracker.js');
const { compileReadiness } = await dist<typeof import('../../src/kube/readiness.js')>('kube/readiness.js');
const { summarize } = await dist<typeof import('../../src/report/histogram.js')>('report/histogram.js');

const [kubeconfig, objectsFile, eventsText] = process.argv.slice(2) as [string, string, string];
const expectedEvents = Number(eventsText);
const objects = JSON.parse(readFileSync(objectsFile, 'utf8')) as Array<[string, string]>;

const rest = await KubeRest.create(await connect({ kubeconfig }));
const tracker = new ObjectTracker(
  [compileReadiness({ field: { path: '.status.phase', equals: 'Running' } })],
  1,
);
const start = performance.now();
for (const [namespace, name] of objects) {
  const record = tracker.register(0, 'Machine', namespace, name);
  tracker.markSent(record, start, start, 3_600_000);
  tracker.markCreated(record, start, undefined);
}
const readyReads: Array<[string, number]> = [];
tracker.on((event) => {
  if (event.type === 'ready' && event.record.readyAt !== undefined) {
    readyReads.push([
      `${event.record.namespace}/${event.record.name}`,
      performance.timeOrigin + event.record.readyAt,
    ]);
  }
});

let events = 0;
let firstRead = Number.NaN;
let lastRead = Number.NaN;
let cpuAtFirst: NodeJS.CpuUsage | undefined;
let finish!: () => void;
const finished = new Promise<void>((resolve) => {
  finish = resolve;
});
const watch = new ResumableWatch(
  rest,
  {
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    group: 'vitistack.io',
    version: 'v1alpha1',
    plural: 'machines',
    namespaced: true,
    verbs: ['watch'],
  },
  undefined,
  'vitictl.io/run-id',
  {
    onEvent: (type, object, at) => {
      if (events === 0) {
        firstRead = at;
        cpuAtFirst = process.cpuUsage();
      }
      tracker.observe(object, at, type, 'Machine');
      events++;
      lastRead = at;
      if (events === expectedEvents) finish();
    },
    onRelist: () => {},
    onGap: (gapStart, end, reason) => {
      process.stderr.write(
        `replay-consumer: watch gap ${gapStart.toISOString()}–${end.toISOString()}: ${reason}\n`,
      );
    },
  },
);
const timeout = setTimeout(finish, 300_000);
await watch.start();
await finished;
clearTimeout(timeout);
const cpu = process.cpuUsage(cpuAtFirst);
await watch.stop();
await rest.close();
process.stdout.write(
  `${JSON.stringify({
    events,
    ready: readyReads.length,
    readSpanMs: lastRead - firstRead,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    ownPart: summarize(tracker.ownLag, 'us'),
    readyReads,
  })}\n`,
);
