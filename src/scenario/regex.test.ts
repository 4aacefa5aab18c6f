import { describe, expect, it } from 'vitest';
import { compilePattern } from './regex.js';

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
