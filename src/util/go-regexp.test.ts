import { describe, expect, it } from 'vitest';
import { compileGoRegexp } from './go-regexp.js';

describe('compileGoRegexp', () => {
  it('matches anywhere in the value, as Go MatchString does', () => {
    expect(compileGoRegexp('abc').test('xabcx')).toBe(true);
    expect(compileGoRegexp('^abc$').test('xabcx')).toBe(false);
  });

  it('reads RE2 spellings an ECMAScript RegExp does not: flag groups, POSIX classes, \\A and \\z', () => {
    expect(compileGoRegexp('(?i)^ABC$').test('abc')).toBe(true);
    expect(compileGoRegexp('^[[:alpha:]]+$').test('abc')).toBe(true);
    expect(compileGoRegexp('\\Aab\\z').test('ab')).toBe(true);
    expect(compileGoRegexp('(?P<name>x)').test('x')).toBe(true);
  });

  it('matches a catastrophic-backtracking pattern in linear time', () => {
    const started = performance.now();
    expect(compileGoRegexp('^(a+)+$').test(`${'a'.repeat(10_000)}b`)).toBe(false);
    // a backtracking engine needs 2^10000 steps here; linear matching needs milliseconds
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses what Go refuses, with RE2s message: lookarounds, back-references, repeats above 1000', () => {
    expect(() => compileGoRegexp('a(?=b)')).toThrow(/invalid or unsupported Perl syntax: `\(\?=`/);
    expect(() => compileGoRegexp('(a)\\1')).toThrow(SyntaxError);
    expect(() => compileGoRegexp('^a{1000000000}$')).toThrow(/invalid repeat count/);
    expect(() => compileGoRegexp('(')).toThrow(/^missing closing \)/);
  });
});
