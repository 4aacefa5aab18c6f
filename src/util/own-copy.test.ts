import { describe, expect, it } from 'vitest';
import { heapRetainedBy } from '../../test/helpers/heap.js';
import { ownCopy } from './own-copy.js';

/** Heap bytes held after keeping, from each of 40 fresh 1 MB texts, one short piece. */
function retainedBy(keep: (slice: string) => string): number {
  const kept: string[] = [];
  const retained = heapRetainedBy(() => {
    for (let i = 0; i < 40; i++) {
      const text = `series_${i}{le="0.5"} 1\n`.repeat(50_000);
      kept.push(keep(text.slice(100, 160)));
    }
  });
  expect(kept).toHaveLength(40);
  return retained;
}

describe('ownCopy', () => {
  it('keeps the same characters', () => {
    const text = 'apiserver_request_total{code="200",verb="GET"} 12\n'.repeat(3);
    expect(ownCopy(text.slice(0, 47))).toBe(text.slice(0, 47));
    expect(ownCopy('')).toBe('');
    expect(ownCopy('é\u{1F600}"')).toBe('é\u{1F600}"');
  });

  it('does not keep the text it was sliced from alive (a slice does)', () => {
    expect(retainedBy((slice) => slice)).toBeGreaterThan(20_000_000);
    expect(retainedBy(ownCopy)).toBeLessThan(2_000_000);
  });

  it('flattens a concatenation, which otherwise keeps its parts', () => {
    expect(retainedBy((slice) => `k\u0000${slice.length}:${slice}`)).toBeGreaterThan(20_000_000);
    expect(retainedBy((slice) => ownCopy(`k\u0000${slice.length}:${slice}`))).toBeLessThan(2_000_000);
  });
});
