import { describe, expect, it } from 'vitest';
import { parseFieldPath, valueAt } from './field-path.js';

describe('field paths', () => {
  it.each([
    ['.status.phase', ['status', 'phase']],
    ['{.status.phase}', ['status', 'phase']],
    ['status.conditions[0].type', ['status', 'conditions', 0, 'type']],
    [
      ".metadata.annotations['lab.vitictl.io/ready-at']",
      ['metadata', 'annotations', 'lab.vitictl.io/ready-at'],
    ],
  ])('parses %s', (text, expected) => {
    expect(parseFieldPath(text)).toEqual(expected);
  });

  it.each(['', '.status..phase', '.status[x]'])('rejects %j', (text) => {
    expect(() => parseFieldPath(text)).toThrow();
  });

  it('reads values and misses safely', () => {
    expect(valueAt({ a: [{ b: 1 }] }, ['a', 0, 'b'])).toBe(1);
    expect(valueAt({ a: 1 }, ['a', 'b'])).toBeUndefined();
  });
});
