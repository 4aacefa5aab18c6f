import { describe, expect, it } from 'vitest';
import { isDnsLabel } from './names.js';

describe('isDnsLabel', () => {
  it.each(['a', 'run-7', '0abc', 'x'.repeat(63)])('accepts %j', (name) => {
    expect(isDnsLabel(name)).toBe(true);
  });

  it.each(['', 'A', '-a', 'a-', 'a.b', 'a_b', 'x'.repeat(64)])('rejects %j', (name) => {
    expect(isDnsLabel(name)).toBe(false);
  });

  it('takes a shorter limit for names that get a suffix', () => {
    expect(isDnsLabel('x'.repeat(52), 52)).toBe(true);
    expect(isDnsLabel('x'.repeat(53), 52)).toBe(false);
  });
});
