import { describe, expect, it } from 'vitest';
import { numberFlag } from './flags.js';

describe('number flags', () => {
  it('reads decimal numbers, with a sign, a fraction or an exponent', () => {
    expect(
      ['50', '+2', '-1.5', '.5', '2.', '1e3', '2.5E-1'].map((value) => numberFlag('--x', value, -10)),
    ).toEqual([50, 2, -1.5, 0.5, 2, 1000, 0.25]);
  });

  it('refuses what Number() reads but a user does not mean: hex, binary, octal, empty, infinite', () => {
    for (const value of ['0x10', '0b11', '0o7', '', ' ', 'Infinity', '1e999', '1_000', 'abc'])
      expect(() => numberFlag('--peak-rate', value), value).toThrow(
        `--peak-rate must be a number (got "${value}")`,
      );
  });
});
