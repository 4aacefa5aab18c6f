import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKGROUND_NICE } from '../../util/thread-priority.js';
import { ExpositionError } from './exposition-error.js';
import { parseExposition } from './parse.js';
import { TargetStore } from './store.js';
import { workerDecoder } from './worker-decoder.js';

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

const decoders: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(decoders.splice(0).map((decoder) => decoder.close()));
});

function started() {
  const decoder = workerDecoder(/^kept_seconds$/);
  decoders.push(decoder);
  return decoder;
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

function parsedHere(text: string) {
  return parseExposition(text, { format: 'text' });
}

describe('decoding scrapes on a worker thread', () => {
  it('fills a store exactly as parsing on the event loop does, scrape after scrape, keeping the selected families and the restart marker', async () => {
    const { decode } = started();
    const viaWorker = new TargetStore('t', /^kept_seconds$/);
    const here = new TargetStore('t', /^kept_seconds$/);
    // the second scrape has one more series, the third one fewer: new series are described once
    for (const [at, series] of [
      [1000, 3],
      [2000, 4],
      [3000, 2],
    ] as const) {
      const text = exposition(series, at / 1000);
      const body = Buffer.from(text);
      viaWorker.addBatch(at, (await decode('t', body, 'text', body.length)).batch);
      here.add(at, parsedHere(text));
    }
    expect(viaWorker.save()).toEqual(here.save());
    expect([...viaWorker.families.keys()].sort()).toEqual(['kept_seconds', 'process_start_time_seconds']);
    expect(viaWorker.quantile('kept_seconds', 0.5)).toBe(here.quantile('kept_seconds', 0.5));
  });

  it("keeps the select pattern's flags across the thread: a case-insensitive pattern selects as it does here", async () => {
    const decoder = workerDecoder(/^KEPT_SECONDS$/i);
    decoders.push(decoder);
    const store = new TargetStore('t', /^KEPT_SECONDS$/i);
    const body = Buffer.from(exposition(2));
    store.addBatch(1, (await decoder.decode('t', body, 'text', body.length)).batch);
    expect(store.columns('kept_seconds_count')).toHaveLength(2);
  });

  it("numbers each target's series apart: two targets scraped through one worker", async () => {
    const { decode } = started();
    const a = new TargetStore('a');
    const b = new TargetStore('b');
    const big = Buffer.from(exposition(5));
    const small = Buffer.from(exposition(1, 7));
    a.addBatch(1, (await decode('a', big, 'text', big.length)).batch);
    b.addBatch(1, (await decode('b', small, 'text', small.length)).batch);
    b.addBatch(2, (await decode('b', small, 'text', small.length)).batch);
    expect(a.columns('kept_seconds_count')).toHaveLength(5);
    expect(b.columns('kept_seconds_count').map((c) => c.values.toArray())).toEqual([[8, 8]]);
  });

  it('answers each of several decodes in flight with its own batch', async () => {
    const { decode } = started();
    const sizes = [3, 40, 1, 17];
    const results = await Promise.all(
      sizes.map((n, i) => {
        const body = Buffer.from(exposition(n));
        return decode(`t${i}`, body, 'text', body.length);
      }),
    );
    // 4 samples per kept series, and the restart marker
    expect(results.map((d) => d.batch.ids.length)).toEqual(sizes.map((n) => n * 4 + 1));
  });

  it('passes the input limit on: an exposition over it is refused with the parser error and its position', async () => {
    const { decode } = started();
    const body = Buffer.from(exposition(50));
    const refused = await decode('t', body, 'text', 100).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExpositionError);
    expect(refused).toMatchObject({
      line: 1,
      limit: true,
      message: expect.stringMatching(/larger than 100 bytes/),
    });
  });

  it('refuses a body with nothing but bad lines as not an exposition', async () => {
    const { decode } = started();
    const body = Buffer.from('<html>not metrics</html>\n');
    await expect(decode('t', body, 'text', body.length)).rejects.toThrow(/not a metrics exposition: line 1/);
  });

  it('keeps the event loop free while it decodes a multi-MiB exposition', async () => {
    const { decode } = started();
    const body = Buffer.from(exposition(40_000));
    // the same parse on this thread blocks it for its whole duration
    const blockedFrom = performance.now();
    parseExposition(body, { format: 'text', limits: { maxInputBytes: body.length } });
    const blockedMs = performance.now() - blockedFrom;
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    const from = performance.now();
    await decode('t', body, 'text', body.length);
    const tookMs = performance.now() - from;
    clearInterval(ticking);
    expect(blockedMs).toBeGreaterThan(20);
    // timers kept firing while the worker parsed (a blocked loop would run the interval at most once)
    expect(ticks).toBeGreaterThan(Math.min(5, tookMs / 10));
  });

  it.runIf(existsSync('/proc/thread-self'))(
    'runs its thread at the lowest priority (nice 19) and leaves the calling thread as it was',
    async () => {
      const before = threadNiceValues();
      const own = niceOf(readFileSync('/proc/thread-self/stat', 'latin1'));
      const { decode } = started();
      const body = Buffer.from(exposition(1));
      await decode('t', body, 'text', body.length);
      const after = threadNiceValues();
      const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === BACKGROUND_NICE);
      expect(lowered).toHaveLength(1);
      expect(niceOf(readFileSync('/proc/thread-self/stat', 'latin1'))).toBe(own);
    },
  );

  it('rejects decodes after it is closed instead of waiting forever', async () => {
    const decoder = workerDecoder(/^kept_seconds$/);
    await decoder.close();
    const body = Buffer.from(exposition(1));
    await expect(decoder.decode('t', body, 'text', body.length)).rejects.toThrow(/parser thread exited/);
  });
});
