import type { Histogram } from 'hdr-histogram-js';
import { type ApiResource, resourcePath } from '../../kube/discovery.js';
import type { KubeRest } from '../../kube/rest.js';
import { newRetryCounters, requestWithRetry } from '../../kube/retry.js';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import { READ_KINDS, type ReadKind, type ReadLoad } from '../../report/sections/read-load.js';
import { nextStart } from '../pace.js';
import { EvenSchedule } from '../rate-limiter.js';
import { listRunObjects, runSelector } from './run-phase.js';

export interface ReadOptions {
  rest: KubeRest;
  runId: string;
  shard?: string | undefined;
  resource: ApiResource;
  rate: number;
  burst: number;
  /** stop starting reads after this long */
  durationMs?: number | undefined;
  /** stop starting reads when this settles (the phase it runs alongside ended) */
  until?: Promise<unknown> | undefined;
  pageSize: number;
  mix: Record<ReadKind, number>;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Reads in flight at most: past it the schedule waits, and the achieved rate shows it. */
const MAX_IN_FLIGHT = 256;

/**
 * Smooth weighted round robin (as nginx balances upstreams): the kinds interleave evenly in the
 * proportions of the mix, the same sequence every run.
 */
export function readSequence(mix: Record<ReadKind, number>): () => ReadKind {
  const current: Record<ReadKind, number> = { list: 0, cachedList: 0, get: 0 };
  const total = READ_KINDS.reduce((sum, kind) => sum + mix[kind], 0);
  if (!(total > 0)) throw new Error('the read mix reads nothing');
  return () => {
    let best: ReadKind | undefined;
    for (const kind of READ_KINDS) {
      if (!(mix[kind] > 0)) continue;
      current[kind] += mix[kind];
      if (best === undefined || current[kind] > current[best]) best = kind;
    }
    current[best!] -= total;
    return best!;
  };
}

interface KindTally {
  sent: number;
  ok: number;
  histogram: Histogram;
}

/**
 * Read load on the API server at a rate: paginated LISTs of the run's objects (quorum reads from
 * etcd), LISTs at resourceVersion=0 (served from the watch cache) and GETs of single objects, in the
 * proportions of the mix. It puts a controller under read pressure while another phase runs.
 */
export async function runRead(options: ReadOptions): Promise<ReadLoad> {
  const objects = await listRunObjects(options);
  const names = objects.map((object) => ({
    namespace: object.metadata?.namespace,
    name: object.metadata?.name ?? '',
  }));
  const collection = `${resourcePath(options.resource)}?labelSelector=${encodeURIComponent(runSelector(options))}`;
  const counters = newRetryCounters();
  const all = newHistogram();
  const byKind = Object.fromEntries(
    READ_KINDS.map((kind) => [kind, { sent: 0, ok: 0, histogram: newHistogram() }]),
  ) as Record<ReadKind, KindTally>;
  const counts = { sent: 0, ok: 0, notFound: 0, failed: 0, interrupted: 0 };
  let pages = 0;
  let itemsListed = 0;
  let stopped = false;
  options.until?.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  // no object to GET: its share goes to the cached LIST, which answers even an empty run
  const next = readSequence(
    names.length > 0
      ? options.mix
      : { ...options.mix, get: 0, cachedList: options.mix.cachedList + options.mix.get },
  );
  const get = (path: string, sentAt: number) =>
    requestWithRetry(
      options.rest,
      'GET',
      path,
      { timeoutMs: options.timeoutMs, signal: options.signal },
      { deadline: sentAt + options.timeoutMs, counters, signal: options.signal },
    );
  /** One read; false when it failed (counted by status in counters.errors). */
  const read = async (
    kind: ReadKind,
    sentAt: number,
    index: number,
  ): Promise<boolean | 'interrupted' | 'notFound'> => {
    let path =
      kind === 'get'
        ? resourcePath(
            options.resource,
            names[index % names.length]!.namespace,
            names[index % names.length]!.name,
          )
        : kind === 'cachedList'
          ? `${collection}&resourceVersion=0`
          : `${collection}&limit=${options.pageSize}`;
    for (;;) {
      const answer = await get(path, sentAt);
      if (!answer.ok) return answer.interrupted ? 'interrupted' : false;
      const { status, body } = answer.response;
      // an object churned or deleted meanwhile: the server answered the read all the same
      if (kind === 'get' && status === 404) return 'notFound';
      if (status !== 200) {
        counters.errors.set(String(status), (counters.errors.get(String(status)) ?? 0) + 1);
        return false;
      }
      if (kind === 'get') return true;
      pages++;
      const list = body as { items?: unknown[]; metadata?: { continue?: string } };
      itemsListed += Array.isArray(list?.items) ? list.items.length : 0;
      const token = list?.metadata?.continue;
      if (kind === 'cachedList' || !token) return true;
      path = `${collection}&limit=${options.pageSize}&continue=${encodeURIComponent(token)}`;
    }
  };
  const pending = new Set<Promise<void>>();
  const began = performance.now();
  const schedule = new EvenSchedule(options.rate, options.burst, began);
  const due = () =>
    !stopped &&
    !options.signal.aborted &&
    (options.durationMs === undefined || performance.now() - began < options.durationMs);
  while (due()) {
    await nextStart(schedule, () => pending.size === 0);
    if (!due()) break;
    if (pending.size >= MAX_IN_FLIGHT) {
      await Promise.race(pending);
      continue;
    }
    const kind = next();
    const sentAt = performance.now();
    const tally = byKind[kind];
    tally.sent++;
    counts.sent++;
    const request = read(kind, sentAt, counts.sent).then((outcome) => {
      pending.delete(request);
      if (outcome === 'interrupted') counts.interrupted++;
      else if (!outcome) counts.failed++;
      else {
        const ms = performance.now() - sentAt;
        if (outcome === 'notFound') counts.notFound++;
        else {
          counts.ok++;
          tally.ok++;
        }
        recordMs(tally.histogram, ms);
        recordMs(all, ms);
      }
    });
    pending.add(request);
  }
  const seconds = (performance.now() - began) / 1000;
  await Promise.all(pending);
  return {
    requestedRate: options.rate,
    achievedRate: seconds > 0 ? counts.sent / seconds : 0,
    seconds,
    counts,
    byKind: Object.fromEntries(
      READ_KINDS.map((kind) => [
        kind,
        { sent: byKind[kind].sent, ok: byKind[kind].ok, latency: summarize(byKind[kind].histogram) },
      ]),
    ) as ReadLoad['byKind'],
    latency: summarize(all),
    pages,
    itemsListed,
    errors: Object.fromEntries(counters.errors),
    retries: counters.retries,
  };
}
