import type { JsonSchema } from './json-schema.js';
import { compilePattern, stringMatching } from './regex.js';
import { type Rng, randomHex, randomInt, randomUuid } from './rng.js';
import { stringProblems } from './validate-object.js';

/** Strings that meet every constraint a structural schema states: format, pattern, lengths. */

const BASE_TIME = Date.UTC(2026, 0, 1);
/** randexp draws per string before giving up on a pattern + length + format combination */
export const STRING_ATTEMPTS = 60;

function formatted(format: string | undefined, index: number, rng: Rng): string | undefined {
  switch (format) {
    case 'date-time':
    case 'datetime':
      return new Date(BASE_TIME + index * 1000).toISOString().replace('.000Z', 'Z');
    case 'date':
      return new Date(BASE_TIME + index * 86_400_000).toISOString().slice(0, 10);
    case 'uuid':
    case 'uuid4':
    case 'uuid3':
    case 'uuid5':
      return randomUuid(rng);
    case 'byte':
      return Buffer.from(`vitictl-${index}`).toString('base64');
    case 'ipv4':
      return ipv4(index);
    case 'ipv6':
      return `fd00::${(index & 0xffff).toString(16)}`;
    case 'cidr':
      return cidr(index);
    case 'hostname':
      return `host-${index}.example.com`;
    case 'email':
      return `user${index}@example.com`;
    case 'uri':
      return `https://example.com/${index}`;
    case 'mac':
      return mac(rng);
    case 'duration':
      return `${randomInt(rng, 1, 60)}s`;
    default:
      return undefined;
  }
}

const ipv4 = (index: number) => `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
const cidr = (index: number) => `10.${(index >> 8) & 255}.${index & 255}.0/24`;
const mac = (rng: Rng) =>
  `02:00:${randomHex(rng, 2)}:${randomHex(rng, 2)}:${randomHex(rng, 2)}:${randomHex(rng, 2)}`;

/** Readable values for fields whose name says what they hold; used only when they meet the schema. */
const BY_NAME: Array<[RegExp, (index: number, rng: Rng) => string]> = [
  [/cidr|subnet|prefix/i, cidr],
  [/gateway|ip$|ipaddress|address/i, ipv4],
  [/mac/i, (_, rng) => mac(rng)],
  [/version/i, (index) => `v1.${index % 40}.${index % 7}`],
  [/latitude/i, (index) => `${59 + (index % 10) / 10}`],
  [/longitude/i, (index) => `${10 + (index % 10) / 10}`],
  [/url|uri|endpoint/i, (index) => `https://example.com/${index}`],
  [/rate|ratio/i, (index) => `0.${(index % 9) + 1}`],
];

/**
 * The longest string vitictl makes: the API server stores at most ~1.5 MiB per object. A longer
 * minLength finds no string.
 */
export const MAX_STRING_LENGTH = 1 << 20;

function fitLength(schema: JsonSchema, value: string, rng: Rng): string {
  let out = value;
  if ((schema.minLength ?? 0) > MAX_STRING_LENGTH) return out;
  if (schema.maxLength !== undefined && out.length > schema.maxLength) out = out.slice(0, schema.maxLength);
  if (schema.minLength !== undefined && out.length < schema.minLength) {
    out += randomHex(rng, schema.minLength - out.length);
  }
  return out;
}

/** The constraints of a string schema, as a message names them. */
export function stringConstraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.pattern !== undefined) parts.push(`pattern ${schema.pattern}`);
  if (schema.format !== undefined) parts.push(`format ${schema.format}`);
  if (schema.minLength !== undefined) parts.push(`minLength ${schema.minLength}`);
  if (schema.maxLength !== undefined) parts.push(`maxLength ${schema.maxLength}`);
  return parts.join(', ');
}

/**
 * A string for `schema`, or undefined when none was found: first readable candidates (the format's,
 * a name-based one, `name-index`), then strings drawn from the pattern with randexp.
 */
export function stringFor(schema: JsonSchema, name: string, index: number, rng: Rng): string | undefined {
  const ok = (value: string) => stringProblems(schema, value).length === 0;
  const base = name.replace(/[^A-Za-z0-9-]/g, '').toLowerCase() || 'value';
  const candidates = [
    formatted(schema.format, index, rng),
    ...BY_NAME.filter(([test]) => test.test(name)).map(([, make]) => make(index, rng)),
    `${base}-${index}`,
  ];
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const fitted = fitLength(schema, candidate, rng);
    if (ok(fitted)) return fitted;
  }
  if (schema.pattern === undefined) return undefined;
  const regex = compilePattern(schema.pattern);
  if (regex instanceof SyntaxError || regex.generator === undefined) return undefined;
  const minLength = schema.minLength ?? 0;
  if (minLength > MAX_STRING_LENGTH) return undefined;
  const maxLength = schema.maxLength ?? Number.POSITIVE_INFINITY;
  const generator = regex.generator;
  const draw = (from: Rng, maxRepeat: number): string | undefined => {
    try {
      return stringMatching(generator, from, maxRepeat);
    } catch {
      return undefined;
    }
  };
  const search = new RepeatSearch(minLength, maxLength);
  let maxRepeat = Math.max(4, Math.min(32, minLength));
  /** a last-choice draw that fits: returned when a few random draws beside it do not */
  let fallback: string | undefined;
  let fallbackTries = 0;
  for (let attempt = 0; attempt < STRING_ATTEMPTS; attempt++) {
    if (fallback !== undefined && fallbackTries++ === FALLBACK_TRIES) break;
    const drawn = draw(rng, maxRepeat);
    if (drawn === undefined) return fallback;
    if (ok(drawn)) return drawn;
    if (fallback !== undefined) continue;
    const length = [...drawn].length;
    // a length that fits fails for another reason (format, RE2's reading): draw again, same maxRepeat
    if (length >= minLength && length <= maxLength) continue;
    if (!search.active) {
      // the search found nothing (alternatives of other lengths, say): random draws may still fit
      maxRepeat = length < minLength ? Math.min(maxRepeat * 2, search.cap) : Math.max(1, maxRepeat >> 1);
      continue;
    }
    // A random draw lands in a narrow window rarely, whatever maxRepeat is: every repetition count
    // is uniform in [min, min + maxRepeat]. The draw taking every last choice has a length that
    // grows with maxRepeat, so it is what the search for maxRepeat steers by.
    if (++attempt >= STRING_ATTEMPTS) break;
    const last = draw(LAST_CHOICE, maxRepeat);
    if (last === undefined) return undefined;
    // random draws at this maxRepeat fit too at times, and vary more than the last choices
    if (ok(last)) fallback = last;
    else maxRepeat = search.next(maxRepeat, [...last].length) ?? maxRepeat;
  }
  return fallback;
}

/** random draws tried beside a last-choice draw that fits */
const FALLBACK_TRIES = 4;

/**
 * An rng whose every draw takes its last choice (the largest number below 1: floor(r * n) is n - 1):
 * the most repetitions, the last alternative and character.
 */
const LAST_CHOICE: Rng = () => 1 - 2 ** -53;

/**
 * The search for a maxRepeat whose last-choice draw has a length in [minLength, maxLength], between
 * the largest maxRepeat known too short and the smallest known too long. Each step doubles while
 * none is too long (so a pattern whose length grows faster than maxRepeat overshoots at most one
 * doubling), then alternates interpolation (exact when the length grows linearly) with bisection
 * (so the interval at least halves every two steps).
 */
class RepeatSearch {
  /** false once no maxRepeat is left to try: the draws go on at the last one */
  active = true;
  /** below every maxRepeat, its length taken as 0: the first interpolation is then exact for `x+` */
  private short = { repeat: -1, length: 0 };
  private long: { repeat: number; length: number } | undefined;
  private interpolated = false;
  /** beyond it a random draw is mostly too long; the last-choice draw is long enough at minLength */
  readonly cap: number;

  constructor(
    private readonly minLength: number,
    private readonly maxLength: number,
  ) {
    this.cap = Math.max(minLength, 1) * 2;
  }

  /** The maxRepeat to try after the last-choice draw at `repeat` came out `length` long. */
  next(repeat: number, length: number): number | undefined {
    if (length < this.minLength) {
      if (repeat > this.short.repeat) this.short = { repeat, length };
    } else if (length > this.maxLength) {
      if (this.long === undefined || repeat < this.long.repeat) this.long = { repeat, length };
    } else {
      // fits, yet fails for another reason: nothing to steer by
      this.active = false;
      return undefined;
    }
    const { short, long } = this;
    let next: number;
    if (long === undefined) next = Math.min(this.cap, Math.max(1, short.repeat * 2));
    else if (this.interpolated) next = Math.floor((short.repeat + long.repeat) / 2);
    else {
      const span = (this.minLength - short.length) / (long.length - short.length);
      next = short.repeat + Math.ceil(span * (long.repeat - short.repeat));
    }
    this.interpolated = long !== undefined && !this.interpolated;
    next = Math.min(Math.max(next, short.repeat + 1), (long?.repeat ?? Number.POSITIVE_INFINITY) - 1);
    // none left between the bounds, or beyond the cap (NaN when minLength > maxLength upsets them)
    if (!(next > short.repeat && next <= this.cap)) {
      this.active = false;
      return long?.repeat ?? this.cap;
    }
    return next;
  }
}
