import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeError } from '../../errors.js';
import { type ApiResource, resourcePath } from '../../kube/discovery.js';
import { RUN_ID_LABEL, SHARD_LABEL } from '../../kube/labels.js';
import type { ReadinessCheck } from '../../kube/readiness.js';
import { type KubeRest, statusMessage } from '../../kube/rest.js';
import { newRetryCounters, type RetryCounters, requestWithRetry } from '../../kube/retry.js';
import { ResumableWatch, type WatchedObject } from '../../kube/watch.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import type { FieldPath } from '../../util/field-path.js';
import { isPlainObject } from '../../util/plain-object.js';
import { nextStart } from '../pace.js';
import { EvenSchedule } from '../rate-limiter.js';
import { objectKey, PhaseTracker, type PhaseTrackerEvent, type PhaseVerb } from './phase-tracker.js';
import { summarizePhase } from './summary.js';

/** How an update changes each object: a JSON merge patch, or a server-side apply of the same fields. */
export interface PatchTemplate {
  type: 'merge' | 'apply';
  body: Record<string, unknown>;
}

export interface PhaseRunOptions {
  rest: KubeRest;
  runId: string;
  /** a shard's vitictl.io/shard label value: only that shard's objects */
  shard?: string | undefined;
  verb: PhaseVerb;
  resource: ApiResource;
  check: ReadinessCheck;
  /** update: where the controller reports the generation it reconciled */
  observedGenerationPath: FieldPath;
  /** update: the change; required for update */
  patch?: PatchTemplate;
  /** the share (0–1] of the run's objects of this kind to touch, the first ones by namespace/name */
  share: number;
  /** open loop: requests per second on an even schedule, at most `burst` at once after a stall */
  rate: number;
  burst: number;
  /** per object, from the answer */
  timeoutMs: number;
  signal: AbortSignal;
  onEvent?: (event: PhaseTrackerEvent) => void;
}

const FIELD_MANAGER = 'vitictl';
const SWEEP_MS = 100;

/** Selects the run's objects, or one shard's. */
export function runSelector(options: Pick<PhaseRunOptions, 'runId' | 'shard'>): string {
  return `${RUN_ID_LABEL}=${options.runId}${options.shard ? `,${SHARD_LABEL}=${options.shard}` : ''}`;
}

/** The run's objects of one kind (a shard's: only its own), sorted by namespace/name. */
export async function listRunObjects(
  options: Pick<PhaseRunOptions, 'rest' | 'runId' | 'shard' | 'resource' | 'signal'>,
): Promise<WatchedObject[]> {
  const path = `${resourcePath(options.resource)}?labelSelector=${encodeURIComponent(runSelector(options))}`;
  const answer = await requestWithRetry(
    options.rest,
    'GET',
    path,
    { timeoutMs: 60_000, signal: options.signal },
    { deadline: performance.now() + 60_000, counters: newRetryCounters(), signal: options.signal },
  );
  if (!answer.ok) throw runtimeError(`could not list the run's ${options.resource.plural}: ${answer.reason}`);
  const body = answer.response.body as { items?: WatchedObject[] };
  if (answer.response.status !== 200 || !Array.isArray(body?.items))
    throw runtimeError(
      `could not list the run's ${options.resource.plural}: ${statusMessage(answer.response)}`,
    );
  return body.items
    .filter((object) => object.metadata?.labels?.[RUN_ID_LABEL] === options.runId)
    .sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
}

function requestOf(options: PhaseRunOptions, object: WatchedObject) {
  const path = resourcePath(options.resource, object.metadata?.namespace, object.metadata?.name);
  if (options.verb === 'delete') return { method: 'DELETE', path, init: {} };
  if (options.verb === 'create')
    return {
      method: 'POST',
      path: resourcePath(options.resource, object.metadata?.namespace),
      init: { body: JSON.stringify(object) },
    };
  const patch = options.patch;
  if (!patch) throw new Error('an update needs a patch template');
  if (patch.type === 'merge')
    return {
      method: 'PATCH',
      path,
      init: { body: JSON.stringify(patch.body), contentType: 'application/merge-patch+json' },
    };
  const applied = {
    ...patch.body,
    apiVersion: options.resource.apiVersion,
    kind: options.resource.kind,
    metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace },
  };
  return {
    method: 'PATCH',
    path: `${path}?fieldManager=${FIELD_MANAGER}&force=true`,
    init: { body: JSON.stringify(applied), contentType: 'application/apply-patch+yaml' },
  };
}

/**
 * One update or delete phase over the objects of one run: list them, choose the share, and track
 * each until the controller finished it.
 */
export async function runPhase(options: PhaseRunOptions & { verb: 'update' | 'delete' }): Promise<PhaseLoad> {
  const objects = await listRunObjects(options);
  const selected = objects.slice(0, Math.ceil(objects.length * options.share));
  const { tracker, counters } = await trackObjects(options, selected);
  return summarizePhase(tracker, {
    verb: options.verb,
    requestedRate: options.rate,
    selected: selected.length,
    counters,
  });
}

/**
 * Open a watch, send one request per object on an even schedule, and account every object until the
 * controller finished it (update: the patched generation reconciled and ready; delete: gone; create:
 * ready), it failed, it timed out, or Ctrl-C.
 */
export async function trackObjects(
  options: PhaseRunOptions,
  selected: WatchedObject[],
  counters: RetryCounters = newRetryCounters(),
): Promise<{ tracker: PhaseTracker; counters: RetryCounters }> {
  const tracker = new PhaseTracker({
    verb: options.verb,
    check: options.check,
    observedGenerationPath: options.observedGenerationPath,
    timeoutMs: options.timeoutMs,
  });
  if (options.onEvent) tracker.on(options.onEvent);
  if (selected.length === 0 || options.signal.aborted) return { tracker, counters };
  const watch = new ResumableWatch(options.rest, options.resource, undefined, runSelector(options), {
    onEvent: (type, object, at) => tracker.observe(type, object, at),
    onRelist: (listed, at) => {
      for (const object of listed) tracker.observe('RELIST', object, at);
      // what a relist no longer shows was deleted while the watch was down
      if (options.verb !== 'delete') return;
      const present = new Set(listed.map(objectKey));
      for (const record of tracker.all())
        if (record.state === 'inFlight' && record.ackAt !== undefined && !present.has(record.key))
          tracker.observe('DELETED', { metadata: keyMetadata(record.key) }, at);
    },
    onGap: () => {},
  });
  await watch.start();
  const requests: Array<Promise<void>> = [];
  const schedule = new EvenSchedule(options.rate, options.burst, performance.now());
  try {
    for (const object of selected) {
      if (options.signal.aborted) break;
      await nextStart(schedule, () => tracker.inFlight === 0);
      if (options.signal.aborted) break;
      const key = objectKey(object);
      const sentAt = performance.now();
      tracker.sent(key, sentAt);
      const { method, path, init } = requestOf(options, object);
      requests.push(
        requestWithRetry(
          options.rest,
          method,
          path,
          { ...init, timeoutMs: 30_000, signal: options.signal },
          { deadline: sentAt + options.timeoutMs, counters, signal: options.signal },
        ).then(
          (answer) => {
            const at = performance.now();
            // cut short by Ctrl-C: left in flight, so the interrupt accounts it
            if (!answer.ok && answer.interrupted) return;
            if (!answer.ok) return tracker.rejected(key, answer.reason);
            const { status, body } = answer.response;
            // a create retried after a lost answer finds its own first attempt: the watch decides
            const ownRetriedCreate = options.verb === 'create' && status === 409 && answer.attempts > 1;
            if (ownRetriedCreate) return tracker.answered(key, answer.lastSentAt, at, undefined);
            if (status === 200 || status === 201 || status === 202) {
              tracker.answered(
                key,
                answer.lastSentAt,
                at,
                isPlainObject(body) ? (body as WatchedObject) : undefined,
              );
              return;
            }
            counters.errors.set(String(status), (counters.errors.get(String(status)) ?? 0) + 1);
            tracker.rejected(key, `${method} answered ${statusMessage(answer.response)}`);
          },
          (error: unknown) => {
            if (!options.signal.aborted) tracker.rejected(key, (error as Error).message);
          },
        ),
      );
    }
    await Promise.all(requests);
    while (tracker.inFlight > 0 && !options.signal.aborted) {
      tracker.sweep(performance.now());
      await sleep(SWEEP_MS);
    }
  } finally {
    if (options.signal.aborted) tracker.interrupt();
    await watch.stop();
  }
  return { tracker, counters };
}

function keyMetadata(key: string): { namespace?: string; name: string } {
  const [namespace, name] = key.split('/') as [string, string];
  return namespace ? { namespace, name } : { name };
}
