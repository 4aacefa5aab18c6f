import { isPlainObject } from '../util/plain-object.js';

/**
 * Whether etcd would take an object: its default --max-request-bytes (1.5 MiB) makes the API server
 * refuse a larger one with "etcdserver: request is too large", whatever its schema says. What counts
 * is the object as the API server stores it: custom resources as Go's JSON, built-in kinds as
 * protobuf.
 */
export const MAX_STORED_OBJECT_BYTES = 1.5 * 2 ** 20;

/** Each string, key and scalar of a JSON value, walked without recursion (nesting depth is the input's). */
function visitJson(
  value: unknown,
  visit: {
    string(text: string): void;
    key(name: string): void;
    scalar(value: unknown): void;
    array(length: number): void;
  },
): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next === 'string') visit.string(next);
    else if (Array.isArray(next)) {
      visit.array(next.length);
      for (const item of next) stack.push(item);
    } else if (next !== null && typeof next === 'object') {
      for (const [key, item] of Object.entries(next)) {
        visit.key(key);
        stack.push(item);
      }
    } else visit.scalar(next);
  }
}

/**
 * A lower bound of the object's size as UTF-8 JSON: its strings' UTF-16 lengths (a code unit is at
 * least a byte), numbers as written, without building the JSON.
 */
function jsonBytesAtLeast(value: unknown): number {
  let bytes = 0;
  visitJson(value, {
    string: (text) => (bytes += text.length + 2),
    key: (name) => (bytes += name.length + 4),
    scalar: (scalar) => (bytes += String(scalar).length),
    array: (length) => (bytes += 2 + length),
  });
  return bytes;
}

/**
 * The size of a custom resource as the API server stores it: Go's encoding/json, which writes `<`,
 * `>` and `&` as \u003c, \u003e, \u0026 and U+2028/U+2029 as \u2028/\u2029 (6 bytes each, where
 * JSON.stringify writes 1 and 3).
 */
function storedJsonBytes(object: Record<string, unknown>): number {
  const json = JSON.stringify(object);
  let escapedByGo = 0;
  for (let i = 0; i < json.length; i += 1) {
    const unit = json.charCodeAt(i);
    if (unit === 0x3c || unit === 0x3e || unit === 0x26) escapedByGo += 5;
    else if (unit === 0x2028 || unit === 0x2029) escapedByGo += 3;
  }
  // a lone surrogate: JSON.stringify writes a 6-byte \ud800, Go reads it as U+FFFD (3 bytes)
  let loneSurrogates = 0;
  visitJson(object, {
    string: (text) => (loneSurrogates += loneSurrogatesIn(text)),
    key: (name) => (loneSurrogates += loneSurrogatesIn(name)),
    scalar: () => undefined,
    array: () => undefined,
  });
  return Buffer.byteLength(json) + escapedByGo - 3 * loneSurrogates;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function loneSurrogatesIn(text: string): number {
  if (!SURROGATE.test(text)) return 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else count++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) count++;
  }
  return count;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes a []byte field's base64 holds, read as Go's decoder reads it (line breaks skipped: wrapped
 * base64 is base64), or undefined when the text is not padded base64.
 */
function base64Bytes(text: string): number | undefined {
  const encoded = text.replace(/[\r\n]/g, '');
  if (!BASE64.test(encoded)) return undefined;
  const padding = encoded.endsWith('==') ? 2 : encoded.endsWith('=') ? 1 : 0;
  return (encoded.length / 4) * 3 - padding;
}

/**
 * A lower bound of a built-in object's protobuf: its string values as UTF-8, which protobuf stores
 * as they are (field names are tags there, and map keys are left out so the bound stays a bound). A
 * value that reads as base64 may be a []byte field (Secret data, a caBundle), stored decoded: it
 * counts as its decoded bytes.
 */
function protobufBytesAtLeast(object: Record<string, unknown>): number {
  let bytes = 0;
  visitJson(object, {
    string: (text) => (bytes += base64Bytes(text) ?? Buffer.byteLength(text)),
    key: () => undefined,
    scalar: () => undefined,
    array: () => undefined,
  });
  return bytes;
}

const limit = `etcd stores at most ${MAX_STORED_OBJECT_BYTES.toLocaleString('en-US')} (1.5 MiB) per object by default, the API server would refuse it`;

/**
 * Why etcd would refuse the object, or undefined. `customResource`: stored as JSON (a kind from a
 * CRD), else as protobuf (a built-in kind).
 */
export function storedSizeProblem(
  object: Record<string, unknown>,
  customResource: boolean,
): string | undefined {
  // the exact size only for objects that could reach the limit: a string's code unit is at most 6
  // bytes as JSON (a control character's \u0001), and serialising each object costs more than
  // validating it
  if (jsonBytesAtLeast(object) * 6 <= MAX_STORED_OBJECT_BYTES) return undefined;
  if (customResource) {
    const bytes = storedJsonBytes(object);
    return bytes <= MAX_STORED_OBJECT_BYTES
      ? undefined
      : `the object is ${bytes.toLocaleString('en-US')} bytes as the API server stores it (JSON): ${limit}`;
  }
  const bytes = protobufBytesAtLeast(object);
  return bytes <= MAX_STORED_OBJECT_BYTES
    ? undefined
    : `the object's string values alone are ${bytes.toLocaleString('en-US')} bytes as the API server stores them (protobuf): ${limit}`;
}

/**
 * Custom resources are those of a group with a dot outside *.k8s.io (where the built-in groups
 * are); the core group ("v1") and apps, batch, policy… have none. CRDs served in a *.k8s.io group
 * (Gateway API) count as built-in: their bound is then the lower one, never a false refusal.
 */
export function isCustomResource(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group.includes('.') && !group.endsWith('.k8s.io');
}

/** The API server's limit on a ConfigMap's or a Secret's data (values, []byte decoded). */
export const MAX_DATA_BYTES = 2 ** 20;
/** and on an object's annotations (keys and values) */
export const MAX_ANNOTATION_BYTES = 256 * 2 ** 10;

/**
 * Bytes of the string values of `map` (base64 decoded when `base64`), and of its keys when `keys`;
 * entries whose key is in `except` are left out.
 */
function entryBytes(
  map: unknown,
  options: { base64: boolean; keys: boolean; except?: Record<string, unknown> | undefined },
): number {
  if (!isPlainObject(map)) return 0;
  let bytes = 0;
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string' || (options.except && Object.hasOwn(options.except, key))) continue;
    if (options.keys) bytes += Buffer.byteLength(key);
    bytes += (options.base64 ? base64Bytes(value) : undefined) ?? Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * A ConfigMap's or a Secret's data values as the API server reads them: strings, and base64 where
 * they are bytes (a Secret's data, a ConfigMap's binaryData).
 */
function dataValueProblems(object: Record<string, unknown>): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const maps: Array<[string, boolean]> =
    object.kind === 'ConfigMap'
      ? [
          ['data', false],
          ['binaryData', true],
        ]
      : [
          ['data', true],
          ['stringData', false],
        ];
  for (const [field, base64] of maps) {
    const map = object[field];
    if (map === undefined || map === null) continue;
    if (!isPlainObject(map)) {
      problems.push({ path: `.${field}`, message: `${field} is a map of strings` });
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string')
        problems.push({
          path: `.${field}.${key}`,
          message: `${field} values are strings (got ${typeof value})`,
        });
      else if (base64 && base64Bytes(value) === undefined)
        problems.push({
          path: `.${field}.${key}`,
          message: `${field} values are base64 (padded, as the API server decodes them into bytes)`,
        });
    }
  }
  return problems;
}

/**
 * Limits the API server's validation sets below etcd's: annotations of any object (keys and
 * values), a ConfigMap's data and binaryData, a Secret's data and stringData (values only). Found on
 * the lab: a ConfigMap value of 1,048,576 bytes was stored under a key, 1,048,577 refused, and two
 * values of 524,288 were stored whatever their keys; annotations of 262,144 bytes with the key were
 * stored, 262,145 refused.
 */
export function fieldSizeProblems(object: Record<string, unknown>): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  const metadata = isPlainObject(object.metadata) ? object.metadata : undefined;
  const annotations = entryBytes(metadata?.annotations, { base64: false, keys: true });
  if (annotations > MAX_ANNOTATION_BYTES)
    problems.push({
      path: '.metadata.annotations',
      message: `annotations are ${annotations.toLocaleString('en-US')} bytes (keys and values): the API server takes at most ${MAX_ANNOTATION_BYTES.toLocaleString('en-US')}`,
    });
  if (object.apiVersion !== 'v1' || (object.kind !== 'ConfigMap' && object.kind !== 'Secret'))
    return problems;
  problems.push(...dataValueProblems(object));
  const [text, bytes] =
    object.kind === 'ConfigMap' ? [object.data, object.binaryData] : [object.stringData, object.data];
  // a Secret's stringData is written over its data, key by key
  const overwritten = object.kind === 'Secret' && isPlainObject(text) ? text : undefined;
  const data =
    entryBytes(text, { base64: false, keys: false }) +
    entryBytes(bytes, { base64: true, keys: false, except: overwritten });
  if (data > MAX_DATA_BYTES)
    problems.push({
      path: '.data',
      message: `the ${object.kind}'s data values are ${data.toLocaleString('en-US')} bytes${isPlainObject(bytes) && Object.keys(bytes).length > 0 ? ' (base64 decoded)' : ''}: the API server takes at most ${MAX_DATA_BYTES.toLocaleString('en-US')} (1 MiB)`,
    });
  return problems;
}
