import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiServerSection } from '../../report/sections/apiserver.js';
import { type ScrapeFailure, scrapeTargets } from '../metrics/scraper.js';
import { threadScraper } from '../metrics/thread-scraper.js';
import type { Target } from '../target.js';
import { APISERVER_SELECT } from './families.js';
import { computeApiServerSignals } from './signals.js';

export interface ApiServerObserve {
  /** the API server (apiServerTarget) */
  apiserver: Target;
  /** etcd's /metrics (--etcd-metrics, or the lab's) */
  etcd?: Target | undefined;
  intervalMs: number;
  maxBytes?: number | undefined;
}

/** The RBAC rule a user needs to read the API server's /metrics. */
export const METRICS_RBAC_RULE = 'nonResourceURLs ["/metrics"], verbs ["get"]';

/** One line for a target that failed: a refused /metrics names the rule to add. */
function failureWarning(what: 'the API server' | 'etcd', failure: ScrapeFailure, answered: boolean): string {
  const signals = what === 'etcd' ? 'etcd' : 'API server';
  if (failure.status === 401 || failure.status === 403)
    return `${what} refused /metrics (${failure.reason}): no ${signals} signals; add to the user's ClusterRole the rule ${METRICS_RBAC_RULE}`;
  return `${signals} metrics: ${answered ? 'some scrapes failed' : 'no scrape answered'}, last: ${failure.reason}; hint: ${failure.hint}`;
}

/**
 * Scrape the API server (and etcd) beside the load, apart from the controller's targets: their
 * expositions are large and only a few families are kept. finish() returns the section (undefined when
 * the API server never answered twice) and at most one warning per target.
 */
export function startApiServerScraping(options: ApiServerObserve) {
  const stop = new AbortController();
  let firstScrape: () => void = () => undefined;
  const scraped = new Promise<void>((resolve) => {
    firstScrape = resolve;
  });
  const targets = [options.apiserver, ...(options.etcd ? [options.etcd] : [])];
  // the API server's exposition is MiBs: read and parsed on the event loop it would stall the load's schedule
  const parser = threadScraper(APISERVER_SELECT);
  const running = scrapeTargets(targets, {
    thread: parser.scrape,
    intervalMs: options.intervalMs,
    signal: stop.signal,
    select: APISERVER_SELECT,
    onScrape: (target) => {
      if (target === options.apiserver.name) firstScrape();
    },
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  let finished: Promise<{ section: ApiServerSection | undefined; warnings: string[] }> | undefined;
  const finish = async (windowStart: Date) => {
    stop.abort();
    const { stores, failures } = await running.finally(() => parser.close());
    const [api, etcd] = stores as [(typeof stores)[number], (typeof stores)[number] | undefined];
    const warnings: string[] = [];
    targets.forEach((target, i) => {
      const last = failures.filter((failure) => failure.target === target.name).at(-1);
      if (last) warnings.push(failureWarning(i === 0 ? 'the API server' : 'etcd', last, stores[i]!.size > 0));
    });
    if (api.size < 2) return { section: undefined, warnings };
    const mine = failures.filter((failure) => failure.target === api.target);
    return {
      section: {
        target: api.target,
        etcdTarget: options.etcd ? options.etcd.name : null,
        failures: mine.length,
        ...(mine.length > 0 ? { lastFailure: mine.at(-1)!.message } : {}),
        ...computeApiServerSignals(api, etcd && etcd.size >= 2 ? etcd : undefined, windowStart.getTime()),
      },
      warnings,
    };
  };
  /** stops the scraper; the first call's window counts (later calls, e.g. on the way out, return it) */
  return {
    /**
     * Resolves once the API server's first scrape is in (or an interval passed without one): the
     * load starts after it, so no request of the run is in the window's first scrape.
     */
    started: () =>
      Promise.race([scraped, sleep(Math.max(1000, options.intervalMs), undefined, { ref: false })]),
    finish(windowStart: Date) {
      finished ??= finish(windowStart);
      return finished;
    },
  };
}
export type ApiServerScraping = ReturnType<typeof startApiServerScraping>;
