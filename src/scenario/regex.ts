import randexpModule from 'randexp';
import { compileGoRegexp, type GoRegexp } from '../util/go-regexp.js';
import type { Rng } from './rng.js';

/**
 * CRD patterns are RE2 (Go's regexp): they are checked as such, in linear time. Values are drawn
 * from the pattern read as an ECMAScript regular expression (randexp only knows those): the common
 * RE2-only spellings are translated; the rest of RE2's syntax is shared.
 */

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function translate(pattern: string): { source: string; flags: string } {
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading?.[1]) {
    flags = leading[1].replace(/[mU]/g, '');
    source = source.slice(leading[0].length);
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/^\\A/, '^')
    .replace(/\\z$/, '$')
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, negate: string, name: string) => {
      const range = POSIX_CLASSES[name];
      return range === undefined || negate ? whole : range;
    });
  return { source, flags };
}

/** The pattern for drawing values, when randexp can read its ECMAScript translation. */
function generatorRegex(pattern: string): RegExp | undefined {
  const { source, flags } = translate(pattern);
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    // without u, escapes such as \- outside a class are accepted, as RE2 accepts them
    try {
      return new RegExp(source, flags);
    } catch {
      return undefined;
    }
  }
}

export interface CompiledPattern {
  /** matches as the API server does */
  readonly matcher: GoRegexp;
  /** for drawing values; undefined when only RE2 reads the pattern */
  readonly generator: RegExp | undefined;
}

/**
 * Compiled patterns, kept for the process: as many as the distinct patterns of the CRDs read, which
 * the input limits bound (a compiled pattern is ~8× its source). A cap that cleared them thrashed:
 * 12,000 patterns compiled again for every object.
 */
const compiled = new Map<string, CompiledPattern | SyntaxError>();

/** The pattern compiled, or the SyntaxError (RE2's message) of one that does not compile. */
export function compilePattern(pattern: string): CompiledPattern | SyntaxError {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  let result: CompiledPattern | SyntaxError;
  try {
    result = { matcher: compileGoRegexp(pattern), generator: generatorRegex(pattern) };
  } catch (error) {
    result = error instanceof SyntaxError ? error : new SyntaxError(String(error));
  }
  compiled.set(pattern, result);
  return result;
}

// randexp is CommonJS whose typings declare an ES default export; at run time the import is the class
type RandExpClass = typeof import('randexp').default;
const RandExp = ((randexpModule as unknown as { default?: RandExpClass }).default ??
  randexpModule) as unknown as RandExpClass;

const generators = new Map<string, InstanceType<RandExpClass>>();
/**
 * randexp's parse of a pattern is much larger than the pattern (a 79 KB alternation of words holds
 * ~5 MB): generators are kept only while their patterns total 1 Mi characters, and made for each
 * draw beyond that, so a CRD of huge patterns costs time rather than gigabytes.
 */
const GENERATOR_SOURCE_BUDGET = 2 ** 20;
let generatorSourceKept = 0;

/**
 * A string matching `regex`, drawn from `rng`; repetitions (* + {n,}) stop after `maxRepeat` (a
 * counted one repeats at most 1000 times: Go's regexp refuses more).
 * Throws when the expression uses a construct no string can be generated for (a back-reference
 * to nothing, a lookaround).
 */
export function stringMatching(regex: RegExp, rng: Rng, maxRepeat: number): string {
  const key = `${regex.flags}/${regex.source}`;
  let generator = generators.get(key);
  if (!generator) {
    generator = new RandExp(regex);
    if (generatorSourceKept + key.length <= GENERATOR_SOURCE_BUDGET) {
      generators.set(key, generator);
      generatorSourceKept += key.length;
    }
  }
  generator.max = maxRepeat;
  generator.randInt = (low: number, high: number) => low + Math.floor(rng() * (high - low + 1));
  return generator.gen();
}
