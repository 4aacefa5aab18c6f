import { RE2JS, RE2JSException } from 're2js';

/**
 * A regular expression in Go's syntax (RE2), matched in time linear in the input. CRD patterns,
 * Prometheus selectors and pprof's --focus are all Go regexps: an ECMAScript RegExp reads some of
 * them differently and backtracks for minutes on `^(a+)+$`.
 */
export interface GoRegexp {
  /** keeps an ECMAScript RegExp, whose source reads differently, from passing for one */
  readonly syntax: 'go';
  readonly source: string;
  /** whether the expression matches anywhere in `value` (Go's MatchString) */
  test(value: string): boolean;
}

/** The expression compiled, or a SyntaxError with RE2's message (`missing closing ): ...`). */
export function compileGoRegexp(source: string): GoRegexp {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    if (error instanceof RE2JSException)
      throw new SyntaxError(error.message.replace(/^error parsing regexp: /, ''));
    throw error;
  }
  return { syntax: 'go', source, test: (value) => compiled.test(value) };
}
