import { describe, expect, it } from 'vitest';
import { escapeControl } from './escape-control.js';

describe('escapeControl', () => {
  it('shows control bytes as \\u escapes and keeps the rest, tabs and non-ASCII letters included', () => {
    expect(escapeControl('a\u0000b\u001b[31mc\u007fd\u009be\nf\rg')).toBe(
      'a\\u0000b\\u001b[31mc\\u007fd\\u009be\\u000af\\u000dg',
    );
    expect(escapeControl('tab\there · µs é')).toBe('tab\there · µs é');
  });
});
