import { expect, it } from 'vitest';
import { VitictlError } from '../../errors.js';
import { shareFlag } from './lifecycle.js';

it.each([
  ['30%', 0.3],
  ['100%', 1],
  ['0.25', 0.25],
  [undefined, 1],
])('--share %s is %d of the objects', (value, share) => {
  expect(shareFlag(value)).toBeCloseTo(share);
});

it.each(['0%', '150%', 'half', '-1'])('--share %s is a usage error', (value) => {
  expect(() => shareFlag(value)).toThrow(VitictlError);
});
