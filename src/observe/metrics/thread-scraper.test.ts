import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { useLocalServers } from '../../../test/helpers/local-server.js';
import { freePort } from '../../lab/ports.js';
import { compileGoRegexp } from '../../util/go-regexp.js';
import { BACKGROUND_NICE } from '../../util/thread-priority.js';
import { apiServerTarget, resolveTargets, type Target } from '../target.js';
import { parseExposition } from './parse.js';
import { expositionLimit, type ScrapeFailure, scrapeTargets } from './scraper.js';
import { TargetStore } from './store.js';
import { threadScraper } from './thread-scraper.js';

/** An exposition with a kept histogram, a dropped counter and the restart marker. */
function exposition(series: number, value = 0): string {
  const lines = ['# HELP kept_seconds Kept.', '# TYPE kept_seconds histogram'];
  for (let i = 0; i < series; i++) {
    lines.push(`kept_seconds_bucket{verb="GET",i="${i}",le="0.1"} ${i + value}`);
    lines.push(`kept_seconds_bucket{verb="GET",i="${i}",le="+Inf"} ${i + 1 + value}`);
    lines.push(`kept_seconds_sum{verb="GET",i="${i}"} ${(i + value) / 10}`);
    lines.push(`kept_seconds_count{verb="GET",i="${i}"} ${i + 1 + value}`);
  }
  lines.push('# TYPE dropped_total counter');
  for (let i = 0; i < series; i++) lines.push(`dropped_total{i="${i}"} ${i}`);
  lines.push('# TYPE process_start_time_seconds gauge', 'process_start_time_seconds 1.7e9');
  return `${lines.join('\n')}\n`;
}

const KEPT = compileGoRegexp('^kept_seconds$');
const { listening, https } = useLocalServers();
const closing: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closing.splice(0).map((each) => each.close()));
});

function started(select = KEPT) {
  const scraper = threadScraper(select);
  closing.push(scraper);
  return scraper;
}

/** A real HTTP endpoint answering whatever `answer` says; the requests it got are kept. */
async function endpoint(
  answer: () => { status?: number; headers?: OutgoingHttpHeaders; body: Buffer | string },
) {
  const requests: IncomingMessage[] = [];
  const port = await listening(
    createServer((request, response) => {
      requests.push(request);
      const { status = 200, headers = {}, body } = answer();
      response.writeHead(status, { 'content-type': 'text/plain; version=0.0.4', ...headers });
      response.end(body);
    }),
  );
  return { port, requests };
}

async function targetAt(url: string): Promise<Target> {
  const [target] = (await resolveTargets(url, { namespace: 'default' })) as [Target];
  closing.push(target);
  return target;
}

/** A thread's nice value from its /proc stat line: after the parenthesised name, state is field 3, nice 19. */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);

/** Linux: this process's threads (by id) and their nice values. */
function threadNiceValues(): Map<string, number> {
  const values = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      values.set(tid, niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'latin1')));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return values;
}

const limit = expositionLimit();

describe('scraping on a thread of its own', () => {
  it('fills a store exactly as parsing on the event loop does, scrape after scrape, keeping the selected families and the restart marker', async () => {
    // the second scrape has one more series, the third one fewer: new series are described once
    let body = '';
    const { port } = await endpoint(() => ({ body }));
    const target = await targetAt(`http://127.0.0.1:${port}/metrics`);
    const { scrape } = started();
    const viaThread = new TargetStore('t', KEPT);
    const here = new TargetStore('t', KEPT);
    for (const [at, series] of [
      [1000, 3],
      [2000, 4],
      [3000, 2],
    ] as const) {
      body = exposition(series, at / 1000);
      viaThread.addBatch(at, (await scrape(target, '/metrics', 1000, limit)).batch);
      here.add(at, parseExposition(body, { format: 'text' }));
    }
    expect(viaThread.save()).toEqual(here.save());
    expect([...viaThread.families.keys()].sort()).toEqual(['kept_seconds', 'process_start_time_seconds']);
    expect(viaThread.quantile('kept_seconds', 0.5)).toBe(here.quantile('kept_seconds', 0.5));
  });

  it("sends the target's own request: Accept for expositions, gzip, its bearer token; and inflates a gzipped answer", async () => {
    const { port, requests } = await endpoint(() => ({
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(exposition(2)),
    }));
    const target = await targetAt(`http://scraper:s3cret@127.0.0.1:${port}/metrics`);
    const decoded = await started().scrape(target, '/metrics', 1000, limit);
    expect(decoded.batch.ids.length).toBe(2 * 4 + 1);
    expect(requests[0]!.headers).toMatchObject({
      accept: expect.stringMatching(/^application\/openmetrics-text/),
      'accept-encoding': 'gzip',
      authorization: `Basic ${Buffer.from('scraper:s3cret').toString('base64')}`,
    });
  });

  it("reaches an API server as its KubeRest does: the kubeconfig's CA verifies the server, its token goes along", async () => {
    const seen: Array<string | undefined> = [];
    const { rest } = await https((request, response) => {
      seen.push(request.headers.authorization);
      response.end(exposition(1));
    });
    const decoded = await started().scrape(apiServerTarget(rest), '/metrics', 1000, limit);
    expect(decoded.batch.ids.length).toBe(4 + 1);
    expect(seen).toEqual(['Bearer the-token']);
  });

  it("keeps the select pattern's flags across the thread: a case-insensitive Go pattern selects as it does here", async () => {
    const { port } = await endpoint(() => ({ body: exposition(2) }));
    const target = await targetAt(`http://127.0.0.1:${port}/metrics`);
    const viaThread = await scrapeTargets([target], {
      intervalMs: 1,
      once: true,
      select: compileGoRegexp('(?i)^KEPT_SECONDS$'),
      thread: started(compileGoRegexp('(?i)^KEPT_SECONDS$')).scrape,
    });
    expect(viaThread.stores[0]!.columns('kept_seconds_count')).toHaveLength(2);
  });

  it("numbers each target's series apart and answers each of several scrapes in flight with its own batch", async () => {
    const sizes = [3, 40, 1, 17];
    const targets = await Promise.all(
      sizes.map(async (series) => {
        const { port } = await endpoint(() => ({ body: exposition(series) }));
        return targetAt(`http://127.0.0.1:${port}/metrics`);
      }),
    );
    const { scrape } = started();
    const results = await Promise.all(targets.map((target) => scrape(target, '/metrics', 1000, limit)));
    // 4 samples per kept series, and the restart marker; each target's numbering starts at 0
    expect(results.map((decoded) => decoded.batch.ids.length)).toEqual(sizes.map((n) => n * 4 + 1));
    expect(results.map((decoded) => Math.min(...decoded.batch.ids))).toEqual([0, 0, 0, 0]);
  });

  it('keeps the event loop free while it reads and decodes a multi-MiB exposition', async () => {
    const body = Buffer.from(exposition(40_000));
    const { port } = await endpoint(() => ({ body }));
    const target = await targetAt(`http://127.0.0.1:${port}/metrics`);
    // the same parse on this thread blocks it for its whole duration
    const blockedFrom = performance.now();
    parseExposition(body, { format: 'text', limits: { maxInputBytes: body.length } });
    const blockedMs = performance.now() - blockedFrom;
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    const from = performance.now();
    await started().scrape(target, '/metrics', 10_000, limit);
    const tookMs = performance.now() - from;
    clearInterval(ticking);
    expect(blockedMs).toBeGreaterThan(20);
    // timers kept firing while the thread worked (a blocked loop would run the interval at most once)
    expect(ticks).toBeGreaterThan(Math.min(5, tookMs / 10));
  });

  it.runIf(existsSync('/proc/thread-self'))(
    'runs its thread at the lowest priority (nice 19) and leaves the calling thread as it was',
    async () => {
      const { port } = await endpoint(() => ({ body: exposition(1) }));
      const target = await targetAt(`http://127.0.0.1:${port}/metrics`);
      const before = threadNiceValues();
      const own = niceOf(readFileSync('/proc/thread-self/stat', 'latin1'));
      await started().scrape(target, '/metrics', 1000, limit);
      const after = threadNiceValues();
      const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === BACKGROUND_NICE);
      expect(lowered).toHaveLength(1);
      expect(niceOf(readFileSync('/proc/thread-self/stat', 'latin1'))).toBe(own);
    },
  );

  it('rejects scrapes after it is closed instead of waiting forever', async () => {
    const scraper = threadScraper(KEPT);
    await scraper.close();
    const target = await targetAt('http://127.0.0.1:1/metrics');
    await expect(scraper.scrape(target, '/metrics', 1000, limit)).rejects.toThrow(/scrape thread exited/);
  });
});

describe('a failed scrape on the thread reads as it does on the event loop', () => {
  /** The one failure of a scrape, taken here and on the thread, but for its time. */
  async function bothWays(target: Target, maxBytes?: number): Promise<[ScrapeFailure, ScrapeFailure]> {
    const options = { intervalMs: 1, once: true, select: KEPT, ...(maxBytes ? { maxBytes } : {}) };
    const here = await scrapeTargets([target], options);
    const viaThread = await scrapeTargets([target], { ...options, thread: started().scrape });
    expect(here.failures).toHaveLength(1);
    expect(viaThread.failures).toHaveLength(1);
    const { at: _here, ...failedHere } = here.failures[0]!;
    const { at: _thread, ...failedThere } = viaThread.failures[0]!;
    return [failedThere as ScrapeFailure, failedHere as ScrapeFailure];
  }

  it('an HTTP status: the status, the Status message, the hint', async () => {
    const { port } = await endpoint(() => ({
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'Status', message: 'forbidden: User "x" cannot get path "/metrics"' }),
    }));
    const [there, here] = await bothWays(await targetAt(`http://127.0.0.1:${port}/metrics`));
    expect(there).toEqual(here);
    expect(there).toMatchObject({
      kind: 'http',
      status: 403,
      reason: 'HTTP 403: forbidden: User "x" cannot get path "/metrics"',
    });
  });

  it('nothing listening: a connection failure named at the URL, with the hint', async () => {
    const port = await freePort();
    const [there, here] = await bothWays(await targetAt(`http://127.0.0.1:${port}/metrics`));
    expect(there).toEqual(here);
    expect(there).toMatchObject({
      kind: 'connection',
      reason: expect.stringMatching(/^refused \(ECONNREFUSED\)/),
    });
  });

  it("an API server whose certificate the kubeconfig's CA did not sign: a TLS failure with the API server's hint", async () => {
    const { rest } = await https((_request, response) => response.end(exposition(1)), 'another CA');
    const [there, here] = await bothWays(apiServerTarget(rest));
    expect(there).toEqual(here);
    expect(there).toMatchObject({
      kind: 'connection',
      reason: expect.stringMatching(/^tls /),
      hint: expect.stringMatching(/CA in the kubeconfig/),
    });
  });

  it('a body past the limit, as declared and as gzipped, with how to raise it', async () => {
    const declared = await endpoint(() => ({ body: exposition(500) }));
    const bomb = gzipSync(Buffer.alloc(4 * 2 ** 20, 'a'));
    const gzipped = await endpoint(() => ({ headers: { 'content-encoding': 'gzip' }, body: bomb }));
    for (const port of [declared.port, gzipped.port]) {
      const [there, here] = await bothWays(await targetAt(`http://127.0.0.1:${port}/metrics`), 2 ** 20 / 16);
      // where reading stopped depends on how the chunks arrived, which differs from read to read
      const chunkless = (failure: ScrapeFailure) => {
        const masked = (text: string) =>
          text.replace(/reading stopped at [\d.]+ \w+/, 'reading stopped at …');
        return { ...failure, message: masked(failure.message), reason: masked(failure.reason) };
      };
      expect(chunkless(there)).toEqual(chunkless(here));
      expect(there).toMatchObject({ kind: 'parse', hint: expect.stringMatching(/--max-exposition-size/) });
    }
  });

  it('a body that is not an exposition, with its line', async () => {
    const { port } = await endpoint(() => ({ body: '<html>not metrics</html>\n' }));
    const [there, here] = await bothWays(await targetAt(`http://127.0.0.1:${port}/metrics`));
    expect(there).toEqual(here);
    expect(there.reason).toMatch(/not a metrics exposition: line 1/);
  });
});
