import { setTimeout as sleep } from 'node:timers/promises';
import { isPlainObject } from '../util/plain-object.js';
import { type ApiResource, resourcePath } from './discovery.js';
import { type KubeRest, NetworkError, statusMessage } from './rest.js';

export interface WatchedObject {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface WatchHandlers {
  /** every ADDED/MODIFIED/DELETED event; `at` is performance.now() when its bytes were read */
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: WatchedObject, at: number): void;
  /** the full state after a relist (410 Gone, or a watch that could not resume) */
  onRelist(objects: WatchedObject[], at: number): void;
  /** the watch was down between these wall-clock times */
  onGap(start: Date, end: Date, reason: string): void;
}

export interface WatchStats {
  reconnects: number;
  relists: number;
}

/**
 * One watch over a resource (cluster-wide or in one namespace), filtered by label selector. Lists first
 * to get a resourceVersion, then watches from it with bookmarks; after a disconnect it resumes from the
 * last resourceVersion it saw; on 410 Gone it relists. Network failures back off and retry until
 * stopped, and every outage is reported as a gap.
 */
export class ResumableWatch {
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  readonly stats: WatchStats = { reconnects: 0, relists: 0 };

  constructor(
    private readonly rest: KubeRest,
    private readonly resource: ApiResource,
    private readonly namespace: string | undefined,
    private readonly labelSelector: string,
    private readonly handlers: WatchHandlers,
  ) {}

  get name(): string {
    return `${this.resource.plural}${this.namespace ? ` in ${this.namespace}` : ''}`;
  }

  private collectionPath(): string {
    return resourcePath(this.resource, this.namespace);
  }

  private async list(): Promise<void> {
    const response = await this.rest.request(
      'GET',
      `${this.collectionPath()}?labelSelector=${encodeURIComponent(this.labelSelector)}`,
      {
        timeoutMs: 60_000,
        signal: this.abort.signal,
      },
    );
    if (response.status !== 200 || !isPlainObject(response.body)) {
      throw new Error(`list ${this.name} failed: ${statusMessage(response)}`);
    }
    const body = response.body as { metadata?: { resourceVersion?: string }; items?: WatchedObject[] };
    this.resourceVersion = body.metadata?.resourceVersion ?? '';
    this.handlers.onRelist(body.items ?? [], performance.now());
  }

  /**
   * Resolves once the first watch stream is open: events from then on are not missed. Until then
   * `signal` stops it (the list, and the retries of a first stream that cannot connect): it rejects,
   * and the watch is stopped. Once open, only stop() ends it.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const stopOnAbort = () => this.abort.abort();
    if (signal?.aborted) stopOnAbort();
    signal?.addEventListener('abort', stopOnAbort, { once: true });
    try {
      await this.list();
      let opened!: () => void;
      let failed!: (error: unknown) => void;
      const ready = new Promise<void>((resolve, reject) => {
        opened = resolve;
        failed = reject;
      });
      this.loop = this.run(opened, failed);
      await ready;
    } finally {
      signal?.removeEventListener('abort', stopOnAbort);
    }
  }

  private async run(opened: () => void, failed: (error: unknown) => void): Promise<void> {
    let first = true;
    let backoff = 100;
    let downSince: Date | undefined;
    let downReason = '';
    while (!this.abort.signal.aborted) {
      let gone = false;
      try {
        const path =
          `${this.collectionPath()}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300` +
          `&labelSelector=${encodeURIComponent(this.labelSelector)}&resourceVersion=${encodeURIComponent(this.resourceVersion)}`;
        const status = await this.rest.stream(
          path,
          (line, readAt) => {
            if (this.handleLine(line, readAt) === 'gone') gone = true;
          },
          this.abort.signal,
          (code) => {
            if (code === 200) {
              if (first) opened();
              first = false;
              backoff = 100;
              if (downSince) {
                this.handlers.onGap(downSince, new Date(), downReason);
                downSince = undefined;
              }
            }
          },
        );
        if (status === 410) gone = true;
        else if (status !== 200 && first) {
          failed(new Error(`watch ${this.name} answered HTTP ${status}`));
          return;
        }
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (first && !(error instanceof NetworkError)) {
          failed(error);
          return;
        }
        downSince ??= new Date();
        downReason = error instanceof NetworkError ? `${error.failure}: ${error.code}` : String(error);
        this.stats.reconnects++;
        await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      if (this.abort.signal.aborted) break;
      if (gone) {
        this.stats.relists++;
        try {
          await this.list();
        } catch (error) {
          downSince ??= new Date();
          downReason = `relist failed: ${String(error)}`;
          await sleep(backoff, undefined, { signal: this.abort.signal }).catch(() => undefined);
          backoff = Math.min(backoff * 2, 2000);
          this.resourceVersion = '';
        }
      }
      // a normal end (timeoutSeconds) resumes from the last resourceVersion
    }
    if (first) failed(new Error(`watch ${this.name} stopped before it opened`));
  }

  private handleLine(line: string, at: number): 'gone' | undefined {
    let event: { type?: string; object?: WatchedObject & { code?: number } };
    try {
      event = JSON.parse(line);
    } catch {
      return undefined;
    }
    const object = event.object;
    if (!object) return undefined;
    if (event.type === 'ERROR') {
      return object.code === 410 ? 'gone' : undefined;
    }
    const rv = object.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
      this.handlers.onEvent(event.type, object, at);
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop?.catch(() => undefined);
  }
}
