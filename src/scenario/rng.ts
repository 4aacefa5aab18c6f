/**
 * Seeded randomness. Every object draws from its own stream, derived from (seed, set, index), so an
 * object's content does not depend on how many objects come before it — a shard of a scenario
 * produces exactly the objects the whole run would.
 */

export type Rng = () => number;

/** xmur3-style 32-bit string hash, used only to derive stream seeds. */
function hashString(text: string, seed = 0x9e3779b9): number {
  let h = seed ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: small, fast, good enough for load-test data (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function streamFor(seed: number, ...keys: Array<string | number>): Rng {
  return mulberry32(hashString(keys.join('\u0000'), hashString(String(seed))));
}

export function randomInt(rng: Rng, min: number, max: number, step = 1): number {
  const slots = Math.floor((max - min) / step) + 1;
  return min + step * Math.floor(rng() * slots);
}

const HEX = '0123456789abcdef';

export function randomHex(rng: Rng, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += HEX[Math.floor(rng() * 16)];
  return out;
}

export function randomUuid(rng: Rng): string {
  const hex = randomHex(rng, 32);
  const variant = HEX[8 + Math.floor(rng() * 4)];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
