import { describe, expect, it } from 'vitest';
import { escapeControl, escapeControlKeepColour } from './escape-control.js';

describe('escapeControl', () => {
  it('shows control bytes as \\u escapes and keeps the rest, tabs and non-ASCII letters included', () => {
    expect(escapeControl('a\u0000b\u001b[31mc\u007fd\u009be\nf\rg')).toBe(
      'a\\u0000b\\u001b[31mc\\u007fd\\u009be\\u000af\\u000dg',
    );
    expect(escapeControl('tab\there · µs é')).toBe('tab\there · µs é');
  });
});

describe('escapeControlKeepColour', () => {
  it('keeps colour sequences and escapes every other control character: OSC titles, screen clears, newlines', () => {
    expect(escapeControlKeepColour('\u001b[1mbold\u001b[22m')).toBe('\u001b[1mbold\u001b[22m');
    expect(escapeControlKeepColour('ok\nFAKE 99\u001b]0;pwned\u0007\u001b[2J')).toBe(
      'ok\\u000aFAKE 99\\u001b]0;pwned\\u0007\\u001b[2J',
    );
  });
});
