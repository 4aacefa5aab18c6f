import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeError } from '../errors.js';
import { EvenSchedule } from '../load/rate-limiter.js';
import type { CleanupResult } from '../report/sections/cleanup.js';
import { isPlainObject } from '../util/plain-object.js';
import { type ApiResource, resourcePath } from './discovery.js';
import { RUN_ID_LABEL, SHARD_LABEL } from './labels.js';
import { type KubeRest, statusMessage } from './rest.js';
import { newRetryCounters, type RetryCounters, requestWithRetry } from './retry.js';

export interface CleanupOptions {
  runId: string;
  /** a shard's vitictl.io/shard label value: only that shard's objects are deleted */
  shard?: string | undefined;
  /** in creation order; deleted in reverse */
  resources: ApiResource[];
  /** namespaces to search for namespaced kinds; undefined: cluster-wide */
  namespaces?: string[] | undefined;
  /** deleted last, and only because this run created them */
  createdNamespaces: string[];
  concurrency?: number;
  /** how long to wait for objects, and then for the namespaces, to disappear (finalizers) */
  waitMs?: number;
  /** objects per LIST page (default 500) */
  pageSize?: number;
  /** how long one request keeps being retried (429, 5xx, a restarting API server); default 90 s */
  retryMs?: number;
  /** at most this many requests started per second (LIST pages and DELETEs); default: no limit */
  qps?: number | undefined;
  onProgress?: (line: string) => void;
  /**
   * `vitictl cleanup`'s Ctrl-C: start nothing more, record what was done. Never a run's own cleanup,
   * which runs after its interrupt and must finish.
   */
  signal?: AbortSignal | undefined;
}

type Listed = { namespace: string | undefined; name: string };
type ListOutcome = { ok: true; items: Listed[] } | { ok: false; problem: string };

/** The credentials were refused: nothing else this cleanup could do would be believed. */
function rejectedCredentials(rest: KubeRest, what: string) {
  return runtimeError(
    `the API server at ${rest.server} rejected our credentials (401 Unauthorized) on ${what}`,
    {
      hint: 'nothing was deleted; check the user in the kubeconfig (tokens may have expired) and run vitictl cleanup --run-id again',
    },
  );
}

class Cleaner {
  readonly result: CleanupResult = {
    found: 0,
    deleted: 0,
    alreadyGone: 0,
    failed: 0,
    errors: {},
    retries: 0,
    namespacesDeleted: [],
    namespacesFailed: [],
    leftBehind: [],
    leftBehindCount: 0,
    problems: [],
    seconds: 0,
  };
  private readonly counters: RetryCounters = newRetryCounters();
  private readonly selector: string;
  private readonly schedule: EvenSchedule | undefined;

  constructor(
    private readonly rest: KubeRest,
    private readonly options: CleanupOptions,
  ) {
    this.selector = encodeURIComponent(
      `${RUN_ID_LABEL}=${options.runId}${options.shard ? `,${SHARD_LABEL}=${options.shard}` : ''}`,
    );
    this.schedule = options.qps
      ? new EvenSchedule(options.qps, Math.max(1, Math.ceil(options.qps / 10)), performance.now())
      : undefined;
  }

  get stopped(): boolean {
    return this.options.signal?.aborted === true;
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.options.signal }).catch(() => undefined);
  }

  private async request(method: string, path: string) {
    const { signal } = this.options;
    for (let next = this.schedule?.next(performance.now()); next && !next.go && !this.stopped; ) {
      await sleep(next.waitMs, undefined, { signal }).catch(() => undefined);
      next = this.schedule?.next(performance.now());
    }
    return requestWithRetry(
      this.rest,
      method,
      path,
      { timeoutMs: 60_000, signal },
      {
        deadline: performance.now() + (this.options.retryMs ?? 90_000),
        counters: this.counters,
        initialBackoffMs: 250,
        signal,
      },
    );
  }

  private scopes(resource: ApiResource): Array<string | undefined> {
    const namespaces = this.options.namespaces;
    return resource.namespaced && namespaces && namespaces.length > 0 ? namespaces : [undefined];
  }

  /**
   * Objects carrying the run's label, listed in pages (a 100k-object run must not become one response
   * held in memory). `max` stops early: the wait loop only needs to know whether anything is left.
   */
  async list(resource: ApiResource, max = Number.POSITIVE_INFINITY): Promise<ListOutcome> {
    const items: Listed[] = [];
    for (const namespace of this.scopes(resource)) {
      let token = '';
      do {
        const path = `${resourcePath(resource, namespace)}?labelSelector=${this.selector}&limit=${this.options.pageSize ?? 500}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
        if (this.stopped) return { ok: false, problem: 'interrupted' };
        const answer = await this.request('GET', path);
        if (!answer.ok) return { ok: false, problem: `list ${resource.plural}: ${answer.reason}` };
        const response = answer.response;
        if (response.status === 404) break;
        if (response.status === 401) throw rejectedCredentials(this.rest, `list ${resource.plural}`);
        if (response.status !== 200 || !isPlainObject(response.body))
          return {
            ok: false,
            problem: `list ${resource.plural}: ${response.status} ${statusMessage(response)}`,
          };
        const body = response.body as {
          metadata?: { continue?: string };
          items?: Array<{ metadata: { name: string; namespace?: string; labels?: Record<string, string> } }>;
        };
        for (const item of body.items ?? []) {
          // the server filtered by label; check again so nothing else is ever deleted
          const labels = item.metadata.labels;
          if (
            labels?.[RUN_ID_LABEL] === this.options.runId &&
            (!this.options.shard || labels[SHARD_LABEL] === this.options.shard)
          )
            items.push({ namespace: item.metadata.namespace, name: item.metadata.name });
        }
        if (items.length >= max) return { ok: true, items };
        token = body.metadata?.continue ?? '';
      } while (token);
    }
    return { ok: true, items };
  }

  /** `work` on each item, at most `concurrency` (default 16) in flight. */
  private async inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length && !this.stopped) await work(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 16, items.length) }, worker));
  }

  /** DELETE each object, a bounded number in flight; every object ends deleted, already gone or failed. */
  async deleteAll(resource: ApiResource, targets: Listed[]): Promise<void> {
    await this.inParallel(targets, async (target) => {
      const answer = await this.request('DELETE', resourcePath(resource, target.namespace, target.name));
      // cut short by the interrupt: neither deleted nor failed; the server may have carried it out
      if (!answer.ok && answer.interrupted) {
        this.result.cutShort = (this.result.cutShort ?? 0) + 1;
        return;
      }
      const status = answer.ok ? answer.response.status : 0;
      if (status === 200 || status === 202) this.result.deleted++;
      else if (status === 404) this.result.alreadyGone++;
      else {
        if (status === 401) throw rejectedCredentials(this.rest, `delete ${resource.plural}`);
        this.result.failed++;
        const reason = answer.ok
          ? `delete ${resource.plural}: ${status} ${statusMessage(answer.response)}`
          : `delete ${resource.plural}: ${answer.reason}`;
        this.problem(reason);
      }
    });
  }

  /**
   * Wait until none of the run's objects of this kind is left (finalizers), then name what is. The
   * `undeletable` objects whose DELETE failed will not go by waiting: only the deleted ones are waited for.
   */
  async waitGone(resource: ApiResource, undeletable: number): Promise<void> {
    const deadline = performance.now() + (this.options.waitMs ?? 120_000);
    for (;;) {
      const left = await this.list(resource, undeletable + 1);
      if (this.stopped) return;
      if (!left.ok) {
        // the server may still be down after the deletes gave up: keep asking until the wait's deadline
        if (performance.now() <= deadline) {
          await this.pause(500);
          continue;
        }
        this.problem(`could not confirm that ${resource.plural} are gone: ${left.problem}`);
        return;
      }
      if (left.items.length === 0) return;
      if (left.items.length <= undeletable || performance.now() > deadline) break;
      await this.pause(500);
    }
    const left = await this.list(resource);
    if (!left.ok) {
      this.problem(`${resource.plural} were still there, and listing them failed: ${left.problem}`);
      return;
    }
    // name at most a thousand of what is left: enough to act on, bounded in what the RunResult holds
    this.result.leftBehind.push(
      ...left.items
        .slice(0, Math.max(0, 1000 - this.result.leftBehind.length))
        .map((item) => `${resource.plural}/${item.namespace ? `${item.namespace}/` : ''}${item.name}`),
    );
    this.result.leftBehindCount = (this.result.leftBehindCount ?? 0) + left.items.length;
  }

  /**
   * DELETE the namespaces this run created, then wait until they are gone: the namespace controller
   * first deletes everything in them. How long that took is recorded; what is still there when the
   * wait ends is left behind (a cluster without a namespace controller keeps them Terminating).
   */
  async deleteNamespaces(namespaces: string[]): Promise<void> {
    const started = performance.now();
    await this.inParallel(namespaces, (namespace) => this.deleteNamespace(namespace));
    if (this.result.namespacesDeleted.length === 0 || this.stopped) return;
    const deadline = started + (this.options.waitMs ?? 120_000);
    let left = this.result.namespacesDeleted;
    for (;;) {
      const there: string[] = [];
      await this.inParallel(left, async (namespace) => {
        if (await this.namespaceThere(namespace)) there.push(namespace);
      });
      if (this.stopped) return;
      left = there;
      if (left.length === 0 || performance.now() > deadline) break;
      await this.pause(500);
    }
    const seconds = +((performance.now() - started) / 1000).toFixed(3);
    this.result.namespacesWait = { seconds, timedOut: left.length > 0 };
    if (left.length === 0) return;
    this.result.leftBehind.push(
      ...left.slice(0, Math.max(0, 1000 - this.result.leftBehind.length)).map((name) => `namespaces/${name}`),
    );
    this.result.leftBehindCount = (this.result.leftBehindCount ?? 0) + left.length;
    this.result.note = `${left.length} of ${this.result.namespacesDeleted.length} namespaces still there (Terminating) after ${seconds.toFixed(0)} s; a cluster without a namespace controller (kube-controller-manager) never removes them`;
  }

  /** Whether a namespace still exists; one that cannot be checked is a problem, and not waited for. */
  private async namespaceThere(namespace: string): Promise<boolean> {
    const answer = await this.request('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`);
    if (!answer.ok && answer.interrupted) return false;
    const status = answer.ok ? answer.response.status : 0;
    if (status === 200) return true;
    if (status === 404) return false;
    if (status === 401) throw rejectedCredentials(this.rest, 'get namespaces');
    this.problem(
      `could not confirm that namespace ${namespace} is gone: ${answer.ok ? `${status} ${statusMessage(answer.response)}` : answer.reason}`,
    );
    return false;
  }

  private async deleteNamespace(namespace: string): Promise<void> {
    const answer = await this.request('DELETE', `/api/v1/namespaces/${encodeURIComponent(namespace)}`);
    if (!answer.ok && answer.interrupted) return;
    const status = answer.ok ? answer.response.status : 0;
    if (status === 200 || status === 202 || status === 404) {
      this.result.namespacesDeleted.push(namespace);
      return;
    }
    if (status === 401) throw rejectedCredentials(this.rest, 'delete namespaces');
    this.result.namespacesFailed.push(namespace);
    this.problem(
      `delete namespace ${namespace}: ${answer.ok ? `${status} ${statusMessage(answer.response)}` : answer.reason}`,
    );
  }

  /** One line per distinct problem (a thousand failed DELETEs with one cause are one line). */
  problem(line: string): void {
    if (!this.result.problems.includes(line) && this.result.problems.length < 20)
      this.result.problems.push(line);
  }

  finish(started: number): CleanupResult {
    if (this.stopped) this.result.interrupted = true;
    this.result.errors = Object.fromEntries(this.counters.errors);
    this.result.retries = this.counters.retries;
    this.result.seconds = +((performance.now() - started) / 1000).toFixed(3);
    return this.result;
  }
}

/**
 * Delete what run `runId` created: objects carrying its vitictl.io/run-id label, kinds in reverse
 * creation order, a bounded number in flight, waiting until they are gone; then the namespaces this run
 * created. Nothing without the label is ever touched. Requests are retried like creates (429 with
 * Retry-After, 5xx, refused/reset connections); a kind that cannot be listed is a problem, not the end:
 * the other kinds are still cleaned. Rejected credentials (401) end it with an error.
 */
export async function cleanupRun(rest: KubeRest, options: CleanupOptions): Promise<CleanupResult> {
  const started = performance.now();
  const cleaner = new Cleaner(rest, options);
  const seen = new Set<string>();
  const resources = [...options.resources].reverse().filter((resource) => {
    const key = `${resource.apiVersion}/${resource.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (const resource of resources) {
    if (cleaner.stopped) break;
    const listed = await cleaner.list(resource);
    if (cleaner.stopped) break;
    if (!listed.ok) {
      cleaner.problem(listed.problem);
      continue;
    }
    if (listed.items.length === 0) continue;
    cleaner.result.found = (cleaner.result.found ?? 0) + listed.items.length;
    options.onProgress?.(`deleting ${listed.items.length} ${resource.plural}`);
    const failedBefore = cleaner.result.failed;
    await cleaner.deleteAll(resource, listed.items);
    if (cleaner.stopped) break;
    await cleaner.waitGone(resource, cleaner.result.failed - failedBefore);
  }
  if (!cleaner.stopped) await cleaner.deleteNamespaces(options.createdNamespaces);
  return cleaner.finish(started);
}
