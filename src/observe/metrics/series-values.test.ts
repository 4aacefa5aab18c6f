import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heapRetainedBy } from '../../../test/helpers/heap.js';
import { SeriesValues } from './series-values.js';

describe('SeriesValues', () => {
  it('holds what a plain array would, whatever the sequence of appends and last-value rewrites', () => {
    const value = fc.constantFrom(0, -0, 1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 1e300);
    const step = fc.tuple(fc.boolean(), value);
    fc.assert(
      fc.property(fc.nat({ max: 20 }), fc.array(step, { maxLength: 80 }), (absent, steps) => {
        const values = SeriesValues.absent(absent);
        const reference: number[] = new Array<number>(absent).fill(Number.NaN);
        for (const [rewrite, v] of steps) {
          const index = rewrite && reference.length > 0 ? reference.length - 1 : reference.length;
          values.put(index, v);
          reference[index] = v;
        }
        expect(values.length).toBe(reference.length);
        expect(values.toArray()).toEqual(reference);
        // forwards, then backwards, then by leaps: at() remembers where it last looked
        const order = [...reference.keys(), reference.length, -1];
        for (const i of [...order, ...order.toReversed(), ...order.map((i) => (i * 7) % (order.length + 1))])
          expect(Object.is(values.at(i), reference[i] ?? Number.NaN)).toBe(true);
        for (const [a, b] of [
          [0, reference.length],
          [3, 7],
          [reference.length - 2, reference.length + 5],
        ] as const)
          expect(values.slice(a, b)).toEqual(reference.slice(Math.max(0, a), b));
        expect(SeriesValues.from(reference).toArray()).toEqual(reference);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps a series that did not move as one run: 1,000,000 scrapes of one value in far less than an array', () => {
    let values = SeriesValues.absent(0);
    const retained = heapRetainedBy(() => {
      values = SeriesValues.absent(3);
      for (let i = 3; i < 1_000_000; i++) values.put(i, 42);
    });
    expect(values.length).toBe(1_000_000);
    expect(values.at(999_999)).toBe(42);
    // as a plain array: 8 MB; the bound leaves room for the code V8 compiles meanwhile
    expect(retained).toBeLessThan(1_000_000);
  });

  it('refuses to write a scrape other than the last or the next', () => {
    const values = SeriesValues.from([1, 2, 3]);
    expect(() => values.put(1, 5)).toThrow('scrape 1 is neither the last (2) nor the next');
    expect(() => values.put(4, 5)).toThrow();
  });
});
