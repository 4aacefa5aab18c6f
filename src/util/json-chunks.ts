import { isPlainObject } from './plain-object.js';

type Replacer = (key: string, value: unknown) => unknown;

/**
 * `JSON.stringify(value, replacer, 2)` as chunks, for plain data (objects, arrays, scalars; no
 * toJSON): the containers of the first `streamDepth` levels are written member by member and deeper
 * values whole. An output larger than V8's longest string (~512 MiB: a parsed exposition of 2,000,000
 * samples as JSON comes near it) is then written, and memory holds one member at a time.
 */
export function* jsonChunks(value: unknown, replacer: Replacer, streamDepth = 4): Generator<string> {
  yield* chunksOf(replacer('', value), replacer, 0, streamDepth);
}

function* chunksOf(
  value: unknown,
  replacer: Replacer,
  depth: number,
  streamDepth: number,
): Generator<string> {
  const streamed = depth < streamDepth && (Array.isArray(value) || isPlainObject(value));
  if (!streamed) {
    // deeper levels whole, indented to where they stand
    // the replacer has had this value already: JSON.stringify's first call is for it
    let first = true;
    const once: Replacer = (key, member) => {
      if (!first) return replacer(key, member);
      first = false;
      return member;
    };
    const text = JSON.stringify(value, once, 2) as string | undefined;
    if (text === undefined) return;
    yield depth === 0 ? text : text.replaceAll('\n', `\n${'  '.repeat(depth)}`);
    return;
  }
  const inner = '  '.repeat(depth + 1);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? '' : ','}\n${inner}`;
      const member = replacer(String(i), value[i]);
      // JSON writes what it cannot represent in an array as null
      yield* chunksOf(representable(member) ? member : null, replacer, depth + 1, streamDepth);
    }
    yield `\n${'  '.repeat(depth)}]`;
    return;
  }
  let first = true;
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const member = replacer(key, raw);
    // and leaves it out of an object
    if (!representable(member)) continue;
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* chunksOf(member, replacer, depth + 1, streamDepth);
  }
  yield first ? '{}' : `\n${'  '.repeat(depth)}}`;
}

const representable = (value: unknown): boolean =>
  value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
