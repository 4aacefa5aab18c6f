import { compileReadiness } from '../src/kube/readiness.js';
import { ObjectTracker } from '../src/load/tracker.js';
import { prepareScenario } from '../src/scenario/prepare.js';

/**
 * Heap that `vitictl apply` keeps per tracked object: N Machines of the built-in scenario taken
 * through the tracker as the apply engine does (registered, sent, acknowledged, ready from a watch
 * event), plus the per-object start time the engine keeps, measured after a full GC.
 *   node --expose-gc --import tsx bench/tracking-memory.ts [objects, default 100000]
 */
const objects = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const { plan } = await prepareScenario({
  scenario: 'machines',
  crdFiles: [],
  count: objects,
  runId: 'mem-1',
});
const checks = plan.sets.map((set) => (set.spec.ready ? compileReadiness(set.spec.ready) : undefined));
gc();
const before = process.memoryUsage().heapUsed;
const tracker = new ObjectTracker(checks, plan.sets.length);
const starts: number[] = [];
for (let setIndex = 0; setIndex < plan.sets.length; setIndex++) {
  const set = plan.sets[setIndex]!;
  for (let index = 0; index < set.count; index++) {
    const { metadata } = set.object(index);
    const sentAt = performance.now();
    starts.push(sentAt);
    const record = tracker.register(setIndex, set.spec.kind, metadata.namespace, metadata.name);
    tracker.markSent(record, sentAt, sentAt, 300_000);
    const created = new Date().toISOString();
    tracker.markCreated(record, sentAt + 5, created);
    tracker.observe(
      {
        metadata: { name: metadata.name, namespace: metadata.namespace, creationTimestamp: created },
        status: { phase: 'Running' },
      },
      sentAt + 50,
      'MODIFIED',
      set.spec.kind,
    );
  }
}
gc();
const perObject = (process.memoryUsage().heapUsed - before) / objects;
const ready = [...tracker.all()].filter((record) => record.state === 'ready').length;
if (ready !== objects) throw new Error(`only ${ready} of ${objects} objects ended ready`);
process.stdout.write(
  `${JSON.stringify({ objects, bytesPerObject: Math.round(perObject), heapMiB: +((perObject * objects) / 2 ** 20).toFixed(1), starts: starts.length })}\n`,
);
