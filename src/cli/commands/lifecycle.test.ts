import { expect, it } from 'vitest';
import { VitictlError } from '../../errors.js';
import { mixFlag, shareFlag } from './lifecycle.js';

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

it.each([
  [undefined, { list: 1, cachedList: 1, get: 8 }],
  ['list=1,get=4', { list: 1, cachedList: 0, get: 4 }],
  [' cachedList = 2 ', { list: 0, cachedList: 2, get: 0 }],
])('--mix %s weighs the read kinds %o', (value, mix) => {
  expect(mixFlag(value)).toEqual(mix);
});

it.each(['list', 'list=x', 'foo=1', 'list=-1', 'list=0,get=0'])('--mix %s is a usage error', (value) => {
  expect(() => mixFlag(value)).toThrow(VitictlError);
});
