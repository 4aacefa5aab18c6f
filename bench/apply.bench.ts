import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionCost } from './apply/connections.js';
import { load, log, MINUTE, withLab } from './apply/lab.js';
import { memory } from './apply/memory.js';
import { rateAccuracy } from './apply/rate.js';
import { watchReplay } from './apply/replay.js';
import { scrapeStall } from './apply/scrape-stall.js';
import { round } from './apply/stats.js';
import { throughput } from './apply/throughput.js';
import { TIMING_LAB, timingAccuracy } from './apply/timing.js';
import { resultsDir, writeResult } from './lib.js';

/**
 * `vitictl apply` against real labs (kube-apiserver + etcd on
 * 127.0.0.1, real fsync unless said otherwise), the CLI run as a child process as users run it.
 *   1. creation throughput, 5,000 Machines, no client-side limit: vitictl (C = 16, 64) beside
 *      `kubectl apply -f FILE`, a shell-style loop of `kubectl apply -f -` per object, and the API
 *      server's ceiling (a raw undici Pool), all in one operator-less lab;
 *   2. rate accuracy of the open loop (R = 50, 200, 500, 1,000) in the same lab, on Machines and, to
 *      measure the pacer where its sink keeps up, on ConfigMaps, with and without vitictl's API-server
 *      scrape, beside a bare Node pacer (bench/apply/bare-pacer.ts) at the same rates; then both at
 *      500/s on a core of their own (taskset: the lab on the other CPUs);
 *   3. timing accuracy against the API server's audit log (rounds at 100 and 50/s), split at an idle
 *      second reader of the same watch, beside what a 1 s poll would have reported; then the rounds'
 *      recorded watch stream played back at 1,000 and 5,000 events/s, 10× and unpaced to vitictl's
 *      tracking (its own part, its CPU);
 *   4. memory and CPU of vitictl tracking 100,000 objects' readiness;
 *   5. what a new TLS connection costs the load's thread: vitictl's pool (one TLS context) beside
 *      undici building one per connection, in the operator-less lab;
 *   6. what scraping the API server every second costs the load's thread: nothing scraped, scraped on
 *      the event loop, scraped on the scrape thread, in the same lab after part 2.
 * VITICTL_BENCH_APPLY_PARTS=throughput,rate,timing,memory,connections,scrapes selects parts (default: all).
 */

export async function benchApply(): Promise<string> {
  const parts = new Set(
    (process.env.VITICTL_BENCH_APPLY_PARTS ?? 'throughput,rate,timing,memory,connections,scrapes')
      .split(',')
      .map((p) => p.trim()),
  );
  const loadStart = load();
  const started = Date.now();
  const result: Record<string, unknown> = {};

  if (['throughput', 'rate', 'connections', 'scrapes'].some((part) => parts.has(part))) {
    log('lab without operator (real fsync)…');
    await withLab({ unsafeNoFsync: false, operator: false, webhook: false }, async (lab) => {
      if (parts.has('throughput')) result.throughput = await throughput(lab);
      if (parts.has('rate')) result.rateAccuracy = rateAccuracy(lab);
      if (parts.has('connections')) result.connectionCost = await connectionCost(lab);
      if (parts.has('scrapes')) result.scrapeStall = await scrapeStall(lab);
    });
  }
  if (parts.has('timing')) {
    log('lab with operator (workers 16, fixed:100ms, real fsync): timing accuracy…');
    await withLab(TIMING_LAB, async (lab) => {
      const timing = await timingAccuracy(lab);
      result.timingAccuracy = timing.result;
      result.watchReplay = await watchReplay(lab.dir, lab.pki, timing.recordings);
    });
  }
  if (parts.has('memory')) {
    log('lab with a cheap operator (workers 32, fixed:0s, --unsafe-no-fsync): memory…');
    result.memory = await memory();
  }

  // a partial re-run keeps the other parts of the previous result, each marked with its date
  const carriedOver: Record<string, string> = {};
  const previousFile = join(resultsDir, 'apply.json');
  if (existsSync(previousFile)) {
    const previous = JSON.parse(readFileSync(previousFile, 'utf8')) as Record<string, unknown> & {
      date?: string;
      carriedOver?: Record<string, string>;
    };
    const sections: Record<string, string[]> = {
      throughput: ['throughput'],
      rate: ['rateAccuracy'],
      timing: ['timingAccuracy', 'watchReplay'],
      memory: ['memory'],
      connections: ['connectionCost'],
      scrapes: ['scrapeStall'],
    };
    for (const [part, keys] of Object.entries(sections)) {
      if (parts.has(part) || keys.every((key) => previous[key] === undefined)) continue;
      for (const key of keys) if (previous[key] !== undefined) result[key] = previous[key];
      carriedOver[part] = previous.carriedOver?.[part] ?? previous.date ?? 'unknown';
    }
  }
  return writeResult('apply', {
    parts: [...parts],
    ...(Object.keys(carriedOver).length > 0 ? { carriedOver } : {}),
    loadAverage: { start: loadStart, end: load() },
    totalMinutes: round((Date.now() - started) / MINUTE, 1),
    conditions:
      'every request to labs on 127.0.0.1; 2 shared cores: the lead worked on the same machine during the run (see loadAverage, 1/5/15 min, at each step); the vitictl CLI and kubectl as child processes with KUBECONFIG = the lab kubeconfig',
    ...result,
  });
}
