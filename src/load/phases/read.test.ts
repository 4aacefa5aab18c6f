import { describe, expect, it } from 'vitest';
import { readSequence } from './read.js';

const draw = (next: () => string, n: number) => Array.from({ length: n }, next);
const tally = (kinds: string[]) => {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
};

describe('the read mix', () => {
  it('gives each kind exactly its share of every full round, the same sequence every time', () => {
    const kinds = draw(readSequence({ list: 1, cachedList: 1, get: 8 }), 100);
    expect(tally(kinds)).toEqual({ list: 10, cachedList: 10, get: 80 });
    expect(draw(readSequence({ list: 1, cachedList: 1, get: 8 }), 100)).toEqual(kinds);
  });

  it('interleaves the kinds evenly instead of in blocks: no LIST right after a LIST at 1:1:8', () => {
    const kinds = draw(readSequence({ list: 1, cachedList: 1, get: 8 }), 50);
    for (let i = 1; i < kinds.length; i++) if (kinds[i] !== 'get') expect(kinds[i - 1]).toBe('get');
  });

  it('never picks a kind weighted 0, and refuses a mix that reads nothing', () => {
    expect(tally(draw(readSequence({ list: 0, cachedList: 3, get: 1 }), 40))).toEqual({
      cachedList: 30,
      get: 10,
    });
    expect(() => readSequence({ list: 0, cachedList: 0, get: 0 })).toThrow(/reads nothing/);
  });
});
