import { describe, expect, it } from 'vitest';
import { randomHex, randomInt, randomUuid, streamFor } from './rng.js';

describe('seeded streams', () => {
  it('gives the same sequence for the same (seed, keys) and a different one otherwise', () => {
    const a = streamFor(42, 'machines', 7);
    const b = streamFor(42, 'machines', 7);
    const c = streamFor(43, 'machines', 7);
    const d = streamFor(42, 'machines', 8);
    const take = (rng: () => number) => Array.from({ length: 5 }, rng);
    const first = take(a);
    expect(take(b)).toEqual(first);
    expect(take(c)).not.toEqual(first);
    expect(take(d)).not.toEqual(first);
  });

  it('draws integers inside the range on the step grid, covering both ends', () => {
    const rng = streamFor(1, 'int');
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const value = randomInt(rng, 20, 100, 20);
      expect(value % 20).toBe(0);
      expect(value).toBeGreaterThanOrEqual(20);
      expect(value).toBeLessThanOrEqual(100);
      seen.add(value);
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([20, 40, 60, 80, 100]);
  });

  it('formats hex and UUIDs', () => {
    const rng = streamFor(3, 'fmt');
    expect(randomHex(rng, 12)).toMatch(/^[0-9a-f]{12}$/);
    expect(randomUuid(rng)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
