import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../../src/kube/connect.js';
import { KubeRest } from '../../src/kube/rest.js';
import { APISERVER_SELECT } from '../../src/observe/apiserver/families.js';
import { scrapeTargets } from '../../src/observe/metrics/scraper.js';
import { threadScraper } from '../../src/observe/metrics/thread-scraper.js';
import { apiServerTarget } from '../../src/observe/target.js';
import { type Lab, load, log, MINUTE, pinLab } from './lab.js';
import { must } from './proc.js';
import { median, percentile, round } from './stats.js';

const SECONDS = 15;
const ROUNDS = 3;
type Mode = 'idle' | 'onEventLoop' | 'onScrapeThread';

interface Stalls {
  scrapes: number;
  /** how late a 1 ms timer ran, beyond its 1 ms: what a start due then waited */
  p999Ms: number;
  longestMs: number;
  /** the time in gaps over 1 ms, over the SECONDS */
  blockedMs: number;
}

/** SECONDS of a 1 ms timer on this thread while `work` runs beside it. */
async function stalls(work: () => Promise<number>): Promise<Stalls> {
  const gaps: number[] = [];
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last - 1);
    last = now;
  }, 1);
  const scrapes = await work();
  clearInterval(probe);
  gaps.sort((a, b) => a - b);
  return {
    scrapes,
    p999Ms: round(percentile(gaps, 99.9), 2),
    longestMs: round(gaps.at(-1) ?? 0, 1),
    blockedMs: round(
      gaps.filter((gap) => gap > 1).reduce((sum, gap) => sum + gap, 0),
      1,
    ),
  };
}

const medianOf = (values: number[]) => round(median(values), 2);

/**
 * What scraping the API server every second costs the thread that paces a load: this process on
 * CPU 0 and the lab on the others (taskset), a 1 ms timer's lateness for SECONDS while nothing is
 * scraped, while vitictl's scraper reads and parses on the event loop (as `vitictl metrics scrape`
 * does), and while it scrapes on its thread (as apply does beside a load); ROUNDS alternating rounds.
 */
export async function scrapeStall(lab: Lab) {
  const cpus = availableParallelism();
  if (cpus < 2) return null;
  const connection = await connect({ kubeconfig: lab.state.kubeconfig, env: {} });
  const rest = await KubeRest.create(connection, { connections: 2 });
  const target = apiServerTarget(rest);
  const scrape = (thread?: ReturnType<typeof threadScraper>) =>
    scrapeTargets([target], {
      intervalMs: 1000,
      durationMs: SECONDS * 1000,
      select: APISERVER_SELECT,
      ...(thread ? { thread: thread.scrape } : {}),
    }).then(({ stores, failures }) => {
      if (failures.length > 0) throw new Error(`a scrape failed: ${failures[0]!.message}`);
      return stores[0]!.size;
    });
  const exposition = await rest.getRaw('/metrics', { maxBytes: 64 * 2 ** 20 });
  const loadBefore = load();
  const rounds: Record<Mode, Stalls[]> = { idle: [], onEventLoop: [], onScrapeThread: [] };
  pinLab(lab, `1-${cpus - 1}`);
  must('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { env: lab.env, timeoutMs: MINUTE });
  try {
    for (let i = 0; i < ROUNDS; i++) {
      log(`scrape stall, round ${i + 1} of ${ROUNDS}…`);
      rounds.idle.push(await stalls(() => sleep(SECONDS * 1000).then(() => 0)));
      rounds.onEventLoop.push(await stalls(() => scrape()));
      const thread = threadScraper(APISERVER_SELECT);
      rounds.onScrapeThread.push(await stalls(() => scrape(thread).finally(() => thread.close())));
    }
  } finally {
    must('taskset', ['-a', '-p', '-c', `0-${cpus - 1}`, String(process.pid)], {
      env: lab.env,
      timeoutMs: MINUTE,
    });
    pinLab(lab, `0-${cpus - 1}`);
    await rest.close();
  }
  const figures = (mode: Mode) => ({
    p999Ms: medianOf(rounds[mode].map((r) => r.p999Ms)),
    longestMs: medianOf(rounds[mode].map((r) => r.longestMs)),
    blockedMs: medianOf(rounds[mode].map((r) => r.blockedMs)),
    rounds: rounds[mode],
  });
  const idle = figures('idle');
  const onEventLoop = figures('onEventLoop');
  const onScrapeThread = figures('onScrapeThread');
  return {
    method: `this process on CPU 0, the lab on CPUs 1-${cpus - 1}; ${SECONDS} s of a 1 ms timer while nothing is scraped, while the lab's API server is scraped every second on the event loop (scrapeTargets), and on the scrape thread (threadScraper, as apply does); ${ROUNDS} alternating rounds, medians. blockedMs: the time in the timer's gaps over 1 ms`,
    expositionBytes: exposition.body.length,
    idle,
    onEventLoop,
    onScrapeThread,
    blockedRatioToIdle: {
      onEventLoop: round(onEventLoop.blockedMs / idle.blockedMs, 2),
      onScrapeThread: round(onScrapeThread.blockedMs / idle.blockedMs, 2),
    },
    load: { before: loadBefore, after: load() },
  };
}
