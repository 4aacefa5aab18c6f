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
  let maxRepeat = Math.max(4, Math.min(32, minLength));
  for (let attempt = 0; attempt < STRING_ATTEMPTS; attempt++) {
    let drawn: string;
    try {
      drawn = stringMatching(regex.generator, rng, maxRepeat);
    } catch {
      return undefined;
    }
    if (ok(drawn)) return drawn;
    const length = [...drawn].length;
    if (length < minLength) maxRepeat = Math.min(maxRepeat * 2, Math.max(minLength, 1) * 2);
    else if (schema.maxLength !== undefined && length > schema.maxLength)
      maxRepeat = Math.max(1, maxRepeat >> 1);
  }
  return undefined;
}
