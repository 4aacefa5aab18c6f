import type { Histogram } from 'hdr-histogram-js';
import type { ReadinessCheck } from '../../kube/readiness.js';
import type { WatchedObject } from '../../kube/watch.js';
import { newHistogram, recordMs } from '../../report/histogram.js';
import { type FieldPath, valueAt } from '../../util/field-path.js';

/**
 * Per-object accounting of an update, delete or (churn's) create phase, on the client's monotonic clock
 * (performance.now(), ms). Each object sent ends in exactly one state; watch events decide, a sweep
 * times out what the controller never finished, an interrupt ends the rest.
 */

export type PhaseVerb = 'update' | 'delete' | 'create';
export type PhaseObjectState = 'inFlight' | 'ready' | 'failed' | 'timedOut' | 'interrupted';

export interface PhaseObject {
  key: string;
  state: PhaseObjectState;
  sentAt: number;
  /** when the API server answered the PATCH or DELETE */
  ackAt?: number;
  /** when the watch event that finished it was read */
  doneAt?: number;
  /** update: the generation the patch produced; the controller must report at least this one */
  generation?: number;
  /** delete: the object was seen being deleted and no longer ready (the controller deprovisioning) */
  deprovisioningSeen?: boolean;
  reason?: string;
  /** the last watch event before the answer: decided once the answer is there */
  early?: { type: WatchType; object: WatchedObject; at: number };
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'RELIST';

export type PhaseTrackerEvent = { type: Exclude<PhaseObjectState, 'inFlight'>; object: PhaseObject };

export interface PhaseTrackerOptions {
  verb: PhaseVerb;
  check: ReadinessCheck;
  /** update: where the controller reports the generation it reconciled (default .status.observedGeneration) */
  observedGenerationPath: FieldPath;
  timeoutMs: number;
}

/** One object of a phase as `--timeline` writes it: wall-clock ms (epoch), like apply's timeline. */
export interface PhaseTimelineRow {
  namespace?: string;
  name: string;
  state: PhaseObjectState;
  sent: number;
  answered?: number;
  done?: number;
  reason?: string;
}

const wallMs = (at: number) => Math.round((performance.timeOrigin + at) * 1000) / 1000;

export function phaseTimelineRow(record: PhaseObject): PhaseTimelineRow {
  const [namespace, name] = record.key.split('/') as [string, string];
  return {
    ...(namespace ? { namespace } : {}),
    name,
    state: record.state,
    sent: wallMs(record.sentAt),
    ...(record.ackAt !== undefined ? { answered: wallMs(record.ackAt) } : {}),
    ...(record.doneAt !== undefined ? { done: wallMs(record.doneAt) } : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
  };
}

export function objectKey(object: WatchedObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

/** The generation the controller reports at `path`; a number or a numeric string (an annotation). */
export function observedGeneration(object: unknown, path: FieldPath): number | undefined {
  const value = valueAt(object, path);
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

const isDeleting = (object: WatchedObject) =>
  typeof (object.metadata as { deletionTimestamp?: unknown } | undefined)?.deletionTimestamp === 'string';

export class PhaseTracker {
  private readonly objects = new Map<string, PhaseObject>();
  /** request latency of the PATCH or DELETE itself */
  readonly request: Histogram = newHistogram();
  /** answer → reconciled and ready again (update) or gone (delete) */
  readonly done: Histogram = newHistogram();
  private readonly listeners: Array<(event: PhaseTrackerEvent) => void> = [];

  constructor(private readonly options: PhaseTrackerOptions) {}

  on(listener: (event: PhaseTrackerEvent) => void): void {
    this.listeners.push(listener);
  }

  get inFlight(): number {
    let n = 0;
    for (const object of this.objects.values()) if (object.state === 'inFlight') n++;
    return n;
  }

  all(): PhaseObject[] {
    return [...this.objects.values()];
  }

  sent(key: string, at: number): void {
    this.objects.set(key, { key, state: 'inFlight', sentAt: at });
  }

  /** The PATCH or DELETE was answered with `object` (a DELETE without finalizers may answer a Status). */
  answered(key: string, sentAt: number, at: number, object: WatchedObject | undefined): void {
    const record = this.objects.get(key);
    if (record?.state !== 'inFlight') return;
    record.ackAt = at;
    recordMs(this.request, at - sentAt);
    if (this.options.verb === 'update') {
      const generation = (object?.metadata as { generation?: unknown } | undefined)?.generation;
      if (typeof generation === 'number') record.generation = generation;
    }
    const early = record.early;
    record.early = undefined;
    if (early) this.decide(record, early.type, early.object, Math.max(early.at, at));
    // the answer is the object as the server left it (a DELETE held by a finalizer: already deleting)
    if (record.state === 'inFlight' && object?.metadata) this.decide(record, 'MODIFIED', object, at);
  }

  /** The request failed for good: counted as failed with the reason. */
  rejected(key: string, reason: string): void {
    const record = this.objects.get(key);
    if (record?.state === 'inFlight') this.settle(record, 'failed', reason);
  }

  observe(type: WatchType, object: WatchedObject, at: number): void {
    const record = this.objects.get(objectKey(object));
    if (record?.state !== 'inFlight') return;
    if (record.ackAt === undefined) {
      record.early = { type, object, at };
      return;
    }
    this.decide(record, type, object, at);
  }

  private decide(record: PhaseObject, type: WatchType, object: WatchedObject, at: number): void {
    const verdict = this.options.check(object);
    if (this.options.verb === 'delete') {
      if (type === 'DELETED') {
        this.finish(record, at);
        return;
      }
      if (!isDeleting(object)) return;
      if (verdict.state === 'failed') this.settle(record, 'failed', `deprovisioning: ${verdict.reason}`);
      else if (verdict.state === 'pending') record.deprovisioningSeen = true;
      return;
    }
    if (type === 'DELETED') {
      this.settle(
        record,
        'failed',
        `deleted while waiting for it to be ${this.options.verb === 'create' ? 'ready' : 'updated'}`,
      );
      return;
    }
    if (verdict.state === 'failed') {
      this.settle(record, 'failed', verdict.reason ?? 'failed');
      return;
    }
    if (this.options.verb === 'create') {
      if (verdict.state === 'ready') this.finish(record, at);
      return;
    }
    const observed = observedGeneration(object, this.options.observedGenerationPath);
    const wanted = record.generation ?? Number.POSITIVE_INFINITY;
    if (verdict.state === 'ready' && observed !== undefined && observed >= wanted) this.finish(record, at);
  }

  /** create: sent → ready, as the creates of an apply are timed; update, delete: from the answer */
  private finish(record: PhaseObject, at: number): void {
    const from = this.options.verb === 'create' ? record.sentAt : (record.ackAt ?? record.sentAt);
    recordMs(this.done, at - from);
    record.doneAt = at;
    this.settle(record, 'ready');
  }

  private settle(record: PhaseObject, state: Exclude<PhaseObjectState, 'inFlight'>, reason?: string): void {
    record.state = state;
    if (reason !== undefined) record.reason = reason;
    record.early = undefined;
    for (const listener of this.listeners) listener({ type: state, object: record });
  }

  /** Objects answered longer than the timeout ago: timed out, with what was last known. */
  sweep(now: number): void {
    for (const record of this.objects.values()) {
      if (record.state !== 'inFlight' || record.ackAt === undefined) continue;
      if (now - record.ackAt < this.options.timeoutMs) continue;
      const seconds = Math.round(this.options.timeoutMs / 1000);
      const reason =
        this.options.verb === 'delete'
          ? `not gone after ${seconds}s (${record.deprovisioningSeen ? 'deprovisioning seen: the finalizer was held' : 'no deprovisioning seen'})`
          : this.options.verb === 'create'
            ? `not ready ${seconds}s after it was created`
            : `generation ${record.generation ?? '?'} not reconciled and ready after ${seconds}s`;
      this.settle(record, 'timedOut', reason);
    }
  }

  /** Ctrl-C: every object still in flight ends as interrupted. */
  interrupt(): void {
    for (const record of this.objects.values())
      if (record.state === 'inFlight') this.settle(record, 'interrupted');
  }
}
