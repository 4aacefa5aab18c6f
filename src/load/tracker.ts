import type { Histogram } from 'hdr-histogram-js';
import type { ReadinessCheck } from '../kube/readiness.js';
import type { WatchedObject } from '../kube/watch.js';
import { newHistogram, recordMs } from '../report/histogram.js';
import type { ObjectState } from '../report/run-result.js';

/** One object's timeline, client monotonic clock (ms, performance.now()) unless said otherwise. */
export interface ObjectRecord {
  setIndex: number;
  kind: string;
  namespace: string | undefined;
  name: string;
  state: ObjectState | 'planned' | 'creating' | 'pending';
  intendedAt?: number;
  sentAt?: number;
  ackAt?: number;
  /** when the bytes of the watch event that made it ready were read */
  readyAt?: number;
  /** the resourceVersion of the object as it was when ready: the write that made it ready */
  readyVersion?: string;
  /** when vitictl marked it ready (for a live event: just after readyAt; after an early event: the ack) */
  markedAt?: number;
  deadline?: number;
  reason?: string;
  stage?: 'create' | 'ready';
  /** last observation from the watch before the create was acknowledged */
  early?: { object: WatchedObject; at: number };
  addedSeen?: boolean;
  creationTimestamp?: string;
}

export interface SetStats {
  create: Histogram;
  timeToReady: Histogram;
  serverTimeToReady: Histogram;
}

export type TrackerEvent =
  | { type: 'ready'; record: ObjectRecord }
  | { type: 'failed'; record: ObjectRecord }
  | { type: 'timedOut'; record: ObjectRecord };

function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** The time the controller last wrote status, from managedFields (second precision). */
function statusWriteTime(object: WatchedObject): string | undefined {
  const fields = (
    object.metadata as { managedFields?: Array<{ subresource?: string; time?: string }> } | undefined
  )?.managedFields;
  return fields?.filter((entry) => entry.subresource === 'status' && entry.time).pop()?.time;
}

/**
 * Every planned object and its state. Each object ends in exactly one state; the readiness checks run
 * on watch events; histograms are fed as objects settle.
 */
export class ObjectTracker {
  private readonly records = new Map<string, ObjectRecord>();
  readonly sets: SetStats[];
  readonly watchLag = newHistogram();
  /** vitictl's own part: from reading a live watch event's bytes to the object marked ready */
  readonly ownLag = newHistogram();
  eventsBeforeAck = 0;
  readyFromRelist = 0;
  private pendingCount = 0;
  private readonly listeners: Array<(event: TrackerEvent) => void> = [];

  constructor(
    private readonly checks: Array<ReadinessCheck | undefined>,
    setCount: number,
  ) {
    this.sets = Array.from({ length: setCount }, () => ({
      create: newHistogram(),
      timeToReady: newHistogram(),
      serverTimeToReady: newHistogram(),
    }));
  }

  on(listener: (event: TrackerEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: TrackerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  register(setIndex: number, kind: string, namespace: string | undefined, name: string): ObjectRecord {
    const record: ObjectRecord = { setIndex, kind, namespace, name, state: 'planned' };
    this.records.set(keyOf(kind, namespace, name), record);
    return record;
  }

  all(): IterableIterator<ObjectRecord> {
    return this.records.values();
  }

  /** Objects created and still waiting for readiness. */
  get waiting(): number {
    return this.pendingCount;
  }

  markSent(record: ObjectRecord, intendedAt: number, sentAt: number, timeoutMs: number): void {
    record.state = 'creating';
    record.intendedAt = intendedAt;
    record.sentAt = sentAt;
    record.deadline = sentAt + timeoutMs;
  }

  /** Create latency runs from the first send to the final answer: retries and 429 waits are in it. */
  markCreated(record: ObjectRecord, ackAt: number, creationTimestamp: string | undefined): void {
    record.ackAt = ackAt;
    if (creationTimestamp) record.creationTimestamp = creationTimestamp;
    recordMs(this.sets[record.setIndex]!.create, ackAt - (record.sentAt ?? ackAt));
    if (!this.checks[record.setIndex]) {
      record.state = 'notWaited';
      return;
    }
    record.state = 'pending';
    this.pendingCount++;
    const early = record.early;
    record.early = undefined;
    if (early) this.evaluate(record, early.object, early.at, false);
  }

  markCreateFailed(record: ObjectRecord, reason: string): void {
    record.state = 'failed';
    record.stage = 'create';
    record.reason = reason;
    this.emit({ type: 'failed', record });
  }

  markNotStarted(record: ObjectRecord): void {
    record.state = 'notStarted';
  }

  /** A watch event or a relisted object. */
  observe(
    object: WatchedObject,
    at: number,
    type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'RELIST',
    kind: string,
  ): void {
    const name = object.metadata?.name;
    if (!name) return;
    const record = this.records.get(keyOf(kind, object.metadata?.namespace, name));
    if (!record) return;
    if (type === 'ADDED' && !record.addedSeen) {
      record.addedSeen = true;
      if (record.ackAt !== undefined) recordMs(this.watchLag, at - record.ackAt);
      else this.eventsBeforeAck++;
    }
    if (record.state === 'creating') {
      record.early = { object, at };
      return;
    }
    if (record.state !== 'pending' || record.ackAt === undefined) return;
    if (type === 'DELETED') {
      this.settle(record, 'failed', 'ready', 'deleted before it became ready');
      return;
    }
    this.evaluate(record, object, at, type === 'RELIST');
    if (type !== 'RELIST' && record.markedAt !== undefined) recordMs(this.ownLag, record.markedAt - at);
  }

  private evaluate(record: ObjectRecord, object: WatchedObject, at: number, fromRelist: boolean): void {
    const check = this.checks[record.setIndex];
    if (!check) return;
    const verdict = check(object);
    if (verdict.state === 'pending') return;
    if (verdict.state === 'failed') {
      this.settle(record, 'failed', 'ready', verdict.reason ?? 'failed');
      return;
    }
    record.readyAt = at;
    record.readyVersion = object.metadata?.resourceVersion;
    if (fromRelist) this.readyFromRelist++;
    const stats = this.sets[record.setIndex]!;
    recordMs(stats.timeToReady, at - (record.sentAt ?? at));
    const serverReady = verdict.serverTime ?? statusWriteTime(object);
    const created = object.metadata?.creationTimestamp ?? record.creationTimestamp;
    if (serverReady && created) {
      const ms = Date.parse(serverReady) - Date.parse(created);
      if (Number.isFinite(ms) && ms >= 0) recordMs(stats.serverTimeToReady, ms);
    }
    this.settle(record, 'ready');
    record.markedAt = performance.now();
  }

  private settle(
    record: ObjectRecord,
    state: 'ready' | 'failed' | 'timedOut',
    stage?: 'ready',
    reason?: string,
  ): void {
    record.state = state;
    if (stage) record.stage = stage;
    if (reason) record.reason = reason;
    this.pendingCount--;
    this.emit({ type: state, record } as TrackerEvent);
  }

  /** Objects past their deadline become timed out. */
  expire(now: number): void {
    if (this.pendingCount === 0) return;
    for (const record of this.records.values()) {
      if (record.state === 'pending' && record.deadline !== undefined && now > record.deadline) {
        this.settle(record, 'timedOut', 'ready', 'no ready state before the timeout');
      }
    }
  }

  /** At an interrupt: created objects still waiting end as interrupted. */
  interruptWaiting(): void {
    for (const record of this.records.values()) {
      if (record.state === 'pending' && record.ackAt !== undefined) {
        record.state = 'interrupted';
        this.pendingCount--;
      }
    }
  }
}
