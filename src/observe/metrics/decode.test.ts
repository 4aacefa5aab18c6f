import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapRetainedBy } from '../../../test/helpers/heap.js';
import { compileGoRegexp, type GoRegexp } from '../../util/go-regexp.js';
import { BatchEncoder } from './batch.js';
import { decodeScrape, parseScrape } from './decode.js';
import { parseExposition } from './parse.js';
import { TargetStore } from './store.js';

const MAX = 1024 * 1024;
const bytes = (lines: string[]) => Buffer.from(`${lines.join('\n')}\n`);

/**
 * A store's series, times and restarts, the series in one order: the numbering may differ (families
 * open in another order when lines are read by their text). Its families are left out: a line out of
 * its family's order opens a family of its own name when tokenized, not when read by its text.
 */
function contents(store: TargetStore) {
  const { times, restarts, series } = store.save();
  const key = (column: (typeof series)[number]) => JSON.stringify([column.name, column.labels]);
  return { times, restarts, series: series.sort((a, b) => (key(a) < key(b) ? -1 : 1)) };
}

/** The store as scrapes parsed in full fill it: the reference for the encoder's shortcut. */
function parsedInFull(scrapes: string[][], select?: GoRegexp) {
  const store = new TargetStore('t', select);
  for (const [i, lines] of scrapes.entries()) store.add(i, parseScrape(bytes(lines), 'text', MAX));
  return contents(store);
}

function decodedWithShortcut(scrapes: string[][], select?: GoRegexp) {
  const store = new TargetStore('t', select);
  const encoder = new BatchEncoder(select);
  for (const [i, lines] of scrapes.entries())
    store.addBatch(i, decodeScrape(bytes(lines), 'text', MAX, encoder).batch);
  return contents(store);
}

describe('decoding scrapes: a series line seen before is read by its text', () => {
  const exposition = [
    '# TYPE h histogram',
    'h_bucket{a="x",le="1"} 3',
    'h_bucket{a="x",le="+Inf"} 4',
    'h_sum{a="x"} 2.5',
    'h_count{a="x"} 4',
    '# TYPE other counter',
    'other_total{path="/a b}"} 7',
    'g 1',
  ];

  it('reads every simple line of a second scrape without tokenizing it, and the store holds the same values', () => {
    const encoder = new BatchEncoder(undefined);
    decodeScrape(bytes(exposition), 'text', MAX, encoder);
    const second = exposition.map((line) => line.replace(/ (\d+(\.\d+)?)$/, ' 9'));
    encoder.startParse();
    const decoded = decodeScrape(bytes(second), 'text', MAX, encoder);
    expect(decoded.batch.fresh).toEqual([]);
    expect([...decoded.batch.values]).toEqual([9, 9, 9, 9, 9, 9]);
    expect(decodedWithShortcut([exposition, second])).toEqual(parsedInFull([exposition, second]));
  });

  it('skips the lines of a family the store drops, and still keeps the restart marker', () => {
    const scrape = [...exposition, 'process_start_time_seconds 100'];
    const select = compileGoRegexp('^h');
    const encoder = new BatchEncoder(select);
    const first = decodeScrape(bytes(scrape), 'text', MAX, encoder);
    const second = decodeScrape(bytes(scrape), 'text', MAX, encoder);
    expect(second.batch.ids.length).toBe(first.batch.ids.length);
    expect(first.batch.fresh.map((series) => series.name)).toEqual([
      'h_bucket',
      'h_bucket',
      'h_sum',
      'h_count',
      'process_start_time_seconds',
    ]);
    expect(decodedWithShortcut([scrape, scrape], select)).toEqual(parsedInFull([scrape, scrape], select));
  });

  it("passes over a dropped family's lines unread, and stops at the first line of a kept name", () => {
    const scrape = [
      '# HELP d a histogram the store drops',
      '# TYPE d histogram',
      'd_bucket{le="1"} 1',
      'd_bucket{le="+Inf"} oops',
      'd_sum 2',
      'd_count 2',
      'd_total 5',
      'd_sum 3',
      ...exposition,
    ];
    const select = compileGoRegexp('^(h|other|d_total)$');
    const parsed = parseExposition(bytes(scrape), { skipFamily: (name) => !select.test(name) });
    // the bad value on line 4 is never read; d_total is kept by name, so it and what follows are read
    expect(parsed.problems).toEqual([]);
    expect(parsed.families.get('d_total')!.samples.map((sample) => sample.value)).toEqual([5]);
    expect(parsed.families.get('d')!.samples.map((sample) => [sample.name, sample.value])).toEqual([
      ['d_sum', 3],
    ]);
    expect(decodedWithShortcut([scrape, scrape], select)).toEqual(parsedInFull([scrape, scrape], select));
  });

  it('does not take "g {x="1"} 2" for the series "g": a line of another shape goes to the tokenizer', () => {
    const scrapes = [['g 1'], ['g {x="1"} 2', 'g 3']];
    const saved = decodedWithShortcut(scrapes);
    expect(saved).toEqual(parsedInFull(scrapes));
    expect(saved.series.map((series) => [series.labels, series.values])).toEqual([
      [{ x: '1' }, [null, 2]],
      [{}, [1, 3]],
    ]);
  });

  it('reports a known series line with a bad value as the tokenizer does, at its line', () => {
    const encoder = new BatchEncoder(undefined);
    decodeScrape(bytes(['g{x="1"} 1', 'k 1']), 'text', MAX, encoder);
    const decoded = decodeScrape(bytes(['g{x="1"} one', 'k 2']), 'text', MAX, encoder);
    expect(decoded.problems).toEqual([{ line: 1, column: 10, message: 'invalid value "one"' }]);
    expect([...decoded.batch.values]).toEqual([2]);
  });

  it('forgets the lines of a parse that failed: the next scrape is decoded alone', () => {
    const encoder = new BatchEncoder(undefined);
    decodeScrape(bytes(['g 1']), 'text', MAX, encoder);
    expect(() => decodeScrape(bytes(['g 2', 'x'.repeat(64)]), 'text', 16, encoder)).toThrow(/larger than 16/);
    const decoded = decodeScrape(bytes(['g 3']), 'text', MAX, encoder);
    expect([...decoded.batch.values]).toEqual([3]);
  });

  it('counts read lines toward the sample limit', () => {
    const lines = ['a 1', 'b 1', 'c 1'];
    const encoder = new BatchEncoder(undefined);
    decodeScrape(bytes(lines), 'text', MAX, encoder);
    encoder.startParse();
    const exposition = parseExposition(bytes(lines), {
      limits: { maxSamples: 2 },
      takeLine: encoder.takeLine,
    });
    expect(exposition.problems).toEqual([{ line: 3, column: 1, message: 'more than 2 samples' }]);
    expect(encoder.taken).toBe(2);
  });

  it('any sequence of scrapes fills the store exactly as parsing each in full does', () => {
    // families in blocks after their TYPE, as exporters write them (out of order, a line tokenized
    // beside lines read by their text may join another family: see the test above)
    const blocks: Array<{ type?: string; lines: string[] }> = [
      {
        type: '# TYPE h histogram',
        lines: ['h_bucket{le="1",a="x"} V', 'h_bucket{a="x",le="1"} V', 'h_sum{a="x"} V', 'h_count{a="x"} V'],
      },
      {
        type: '# TYPE c counter',
        lines: [
          'c_total V',
          'c_total{path="/a b}"} V',
          'c_total{path="q\\"}"} V',
          'c_total{ path = "/a b}" , } V',
        ],
      },
      {
        lines: [
          'g V',
          'g{x="1"} V',
          'g {x="1"} V',
          '  g   V  ',
          'g V 1700000000000',
          'g{x="1",x="2"} V',
          'g{x="1"} V # {t="1"} 1',
          '# HELP g a gauge',
          '',
        ],
      },
      { lines: ['process_start_time_seconds V'] },
      { lines: ['dropped{a="1"} V', 'dropped{a="2"} V'] },
      // a typed family the store drops: its lines are passed over unread, but not a kept name's
      {
        type: '# TYPE dh histogram',
        lines: [
          'dh_bucket{le="1"} V',
          'dh_sum V',
          'dh_count{a="x"} V',
          'dh V',
          'dh_total V',
          'dh_other V',
          'dhx V',
          'dh_bucket{le="+Inf"} V',
        ],
      },
    ];
    const value = fc.constantFrom('1', '2.5', 'NaN', '+Inf', '-3e2', 'bad', '0x1');
    const block = (index: number) => {
      const { type, lines } = blocks[index]!;
      return fc
        .array(fc.tuple(fc.constantFrom(...lines), value), { maxLength: 6 })
        .map((pairs) => [...(type ? [type] : []), ...pairs.map(([line, v]) => line.replace('V', v))]);
    };
    const scrape = fc
      .uniqueArray(fc.nat({ max: blocks.length - 1 }), { minLength: 1 })
      .chain((order) => fc.tuple(...order.map(block)))
      .map((parts) => ['first 1', ...parts.flat()]);
    const select = fc.constantFrom(
      undefined,
      compileGoRegexp('^(h|c|g)'),
      compileGoRegexp('^(h|c|g|dh_total)$'),
    );
    fc.assert(
      fc.property(fc.array(scrape, { minLength: 1, maxLength: 5 }), select, (scrapes, pattern) => {
        expect(decodedWithShortcut(scrapes, pattern)).toEqual(parsedInFull(scrapes, pattern));
      }),
      { numRuns: 500 },
    );
  });
});

describe('decoding scrapes over a long run', () => {
  it('keeps no scrape text alive: 60 scrapes of 1 MB, each with new series all through it, hold what their series need', () => {
    // one line in 100 is a new series at every scrape, so every piece of every text has one
    const scrape = (n: number) =>
      Array.from({ length: 10_000 }, (_, i) =>
        i % 100 === 0
          ? `request_duration_seconds_bucket{resource="machines",run="scrape-${n}-series-${i}",le="${i}"} ${i}`
          : `request_duration_seconds_bucket{resource="machines",verb="GET",le="${i}"} ${i}`,
      );
    const store = new TargetStore('t');
    const encoder = new BatchEncoder(undefined);
    const retained = heapRetainedBy(() => {
      for (let n = 0; n < 60; n++)
        store.addBatch(n, decodeScrape(bytes(scrape(n)), 'text', 4 * MAX, encoder).batch);
    });
    expect(store.columns('request_duration_seconds_bucket')).toHaveLength(9_900 + 60 * 100);
    // each scrape's text is ~0.9 MB: kept, the 60 would hold 54 MB; the 15,900 series' texts, keys,
    // labels and values are ~15 MB
    expect(retained).toBeLessThan(30_000_000);
  });
});
