import { describe, expect, it } from 'vitest';
import { compilePattern, stringMatching } from './regex.js';
import { mulberry32 } from './rng.js';

describe('compiled CRD patterns', () => {
  it('compiles each distinct pattern once, however many a CRD has', () => {
    // more patterns than the old cap (10,000), which cleared the cache and compiled them all again
    const patterns = Array.from({ length: 12_000 }, (_, i) => `^x${i}[a-z]{3}$`);
    const first = patterns.map(compilePattern);
    expect(patterns.map(compilePattern).every((again, i) => again === first[i])).toBe(true);
  });

  it('keeps the error of a pattern Go refuses', () => {
    const refused = compilePattern('^(?=a)b$');
    expect(refused).toBeInstanceOf(SyntaxError);
    expect(compilePattern('^(?=a)b$')).toBe(refused);
  });
});

describe('values drawn from patterns', () => {
  it('draws matching values from more pattern text than the generators kept (1 Mi characters)', () => {
    // 14 alternations of 10,000 words: ~1.3 Mi characters, the last ones drawn without a kept generator
    const patterns = Array.from(
      { length: 14 },
      (_, p) => `^(?:${Array.from({ length: 10_000 }, (_, w) => `p${p}w${w}`).join('|')})$`,
    );
    const rng = mulberry32(7);
    for (const pattern of patterns) {
      const compiled = compilePattern(pattern);
      if (compiled instanceof SyntaxError || !compiled.generator) throw new Error(`${pattern.slice(0, 20)}…`);
      for (let i = 0; i < 3; i++)
        expect(compiled.matcher.test(stringMatching(compiled.generator, rng, 4))).toBe(true);
    }
  });
});
