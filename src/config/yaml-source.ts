import {
  CST,
  type Document,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  parseAllDocuments,
  parseDocument,
  visit,
} from 'yaml';
import { inputError, type SourceLocation } from '../errors.js';
import { MiB, readBoundedFile } from '../util/read-input.js';

/** A parsed YAML document that can answer "where in the file is this path?". */
export interface YamlSource {
  file: string;
  value: unknown;
  /** the position of the value at `path`, or of its key (for "unknown field" messages) */
  locate(path: ReadonlyArray<PropertyKey>, target?: 'value' | 'key'): SourceLocation;
}

/**
 * Bounds on YAML input (scenarios, profiles, gates, CRDs, objects files). The `yaml` package needs
 * ~1 KB and ~10 µs per node: the node bound keeps a parse under a few seconds and ~500 MB whatever
 * the file; the largest real CRDs have ~30,000 nodes. See docs/decisions.md.
 */
export const YAML_LIMITS = { bytes: 16 * MiB, nodes: 500_000, depth: 256, aliases: 1000 } as const;

export async function readTextFile(file: string, what: string): Promise<string> {
  return (await readBoundedFile(file, what, YAML_LIMITS.bytes)).toString('utf8');
}

/**
 * A first, cheap upper estimate of the work a YAML text makes, without parsing it: every node and
 * every token starts a line or at one of the characters that can start a token (indicators, quotes,
 * a backslash: an escape the parser may report). It counts those inside strings too, so a long string
 * of dashes or a regex of `[a-z]` classes is much "work": past the bound, `countTokens` decides.
 */
function estimateNodes(text: string): number {
  let count = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && TOKEN_START[c] === 1) count++;
  }
  return count;
}

/** 1 at the ASCII codes of the characters that can start a token */
const TOKEN_START = new Uint8Array(128);
for (const c of '\n,-:[]{}&!*"\'?|>%#@`\\') TOKEN_START[c.charCodeAt(0)] = 1;

/**
 * What the parser would build, counted from the yaml package's lexer, which splits the text into
 * tokens without building anything: every token but whitespace, where a scalar of any kind (plain,
 * quoted, block) and a comment are one token however long they are. That bounds the nodes (each is a
 * scalar, alias or flow collection start, or sits after a `-` `?` `:` or `,` indicator) and also the
 * parser's work on what is not a node: 16 MiB of line breaks took it 37 s and 1.5 GB, and a run of
 * commas or of `}` makes one error each. A double-quoted scalar counts its backslashes too: the
 * parser makes an error of each bad escape (a 2 MB string of `\\q` took 6 s and 1 GB). Stops
 * counting past `stopAt`.
 */
function countTokens(text: string, stopAt: number): number {
  let count = 1;
  let scalarSource = false;
  for (const token of new Lexer().lex(text)) {
    if (scalarSource) {
      // the source of the plain or block scalar just counted: may look like anything, even `-`
      scalarSource = false;
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'space') continue;
    if (type === 'scalar') scalarSource = true;
    else if (type === 'double-quoted-scalar') count += backslashes(token);
    if (++count > stopAt) break;
  }
  return count;
}

function backslashes(token: string): number {
  let count = 0;
  for (let at = token.indexOf('\\'); at >= 0; at = token.indexOf('\\', at + 2)) count++;
  return count;
}

function checkComplexity(file: string, text: string): void {
  // the estimate costs milliseconds and settles almost every file; lexing costs ~10 times that
  if (estimateNodes(text) <= YAML_LIMITS.nodes) return;
  if (countTokens(text, YAML_LIMITS.nodes) > YAML_LIMITS.nodes) {
    throw inputError(
      `YAML too complex: more than the ${YAML_LIMITS.nodes.toLocaleString('en-US')} values, indicators, comments and line breaks vitictl reads`,
      {
        location: { file },
        hint: 'a value counts once however long it is; the largest real CRDs have ~30,000 nodes, and a scenario describes its objects by count and template rather than listing them',
      },
    );
  }
}

/** Deepest nesting of a parsed value, without recursion (a deep value must not overflow the stack). */
function depthOf(value: unknown, limit: number): number {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let deepest = 0;
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function nodeAt(
  root: Node | null | undefined,
  path: ReadonlyArray<PropertyKey>,
): { node: Node; keyNode?: Node } | undefined {
  let node: Node | null | undefined = root;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return node ? { node } : undefined;
      keyNode = isScalar(pair.key) ? pair.key : undefined;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return { node };
      node = item;
      keyNode = undefined;
    } else {
      break;
    }
  }
  if (!node) return undefined;
  return keyNode ? { node, keyNode } : { node };
}

/** In an alias bomb the last alias expands the most: point there. */
function lastAliasAt(file: string, doc: Document.Parsed, lineCounter: LineCounter): SourceLocation {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? offset;
    },
  });
  if (offset === undefined) return { file };
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, column: col };
}

/** The plain value of a document, with alias expansion and nesting bounded. */
function toValue(file: string, doc: Document.Parsed, lineCounter: LineCounter): unknown {
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: YAML_LIMITS.aliases });
  } catch (error) {
    // yaml throws a ReferenceError for alias bombs ("Excessive alias count") and unresolved aliases
    const message = error instanceof Error ? error.message : String(error);
    throw inputError(`YAML aliases: ${message.split('\n')[0]}`, {
      location: lastAliasAt(file, doc, lineCounter),
      hint: /excessive/i.test(message)
        ? `aliases (*name) may expand to at most ${YAML_LIMITS.aliases} copies of their anchor (&name): write the values out`
        : 'define every anchor (&name) before its aliases (*name)',
    });
  }
  if (depthOf(value, YAML_LIMITS.depth) > YAML_LIMITS.depth) {
    throw inputError(`YAML nested more than ${YAML_LIMITS.depth} levels deep`, {
      location: { file },
      hint: 'flatten the structure',
    });
  }
  return value;
}

function makeSource(file: string, doc: Document.Parsed, lineCounter: LineCounter): YamlSource {
  return {
    file,
    value: toValue(file, doc, lineCounter),
    locate(path, target = 'value') {
      const found = nodeAt(doc.contents, path);
      const offset =
        target === 'key'
          ? (found?.keyNode?.range?.[0] ?? found?.node.range?.[0])
          : (found?.node.range?.[0] ?? found?.keyNode?.range?.[0]);
      if (offset === undefined) return { file };
      const { line, col } = lineCounter.linePos(offset);
      return { file, line, column: col };
    },
  };
}

/**
 * The offset of the first duplicate key in a document, in document order, or undefined. The yaml
 * package's own check (`uniqueKeys: true`) scans a map's entries for every new key, O(n²): a CRD with
 * 60,000 properties in one map took 39 s. This is one Set per map and a walk without recursion.
 * Keys compare as the yaml package compares them: scalars by value (`===`: 1 and "1" differ, 1 and
 * 0x1 are the same, NaN is unlike itself); other keys (aliases, collections: rare complex keys) by
 * identity, so they never clash, as before. The offset is where the key starts, where yaml reports it.
 */
function firstDuplicateKey(doc: Document.Parsed): number | undefined {
  let first: number | undefined;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const { key, value } of node.items) {
        stack.push(key, value);
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (!seen.has(key.value)) seen.add(key.value);
        else if (key.range && (first === undefined || key.range[0] < first)) first = key.range[0];
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return first;
}

interface YamlErrorLike {
  message: string;
  pos?: [number, number];
}

/**
 * Throw the earliest of the parser's first error and the first duplicate key, with its line and
 * column. The parser's order is about by position; on a tie, or in malformed YAML where it is not,
 * the parser's own error is taken (it is often what made the duplicate).
 */
function throwYamlErrors(
  file: string,
  errors: ReadonlyArray<YamlErrorLike>,
  lineCounter: LineCounter,
  duplicateAt?: number,
) {
  let first = errors[0];
  if (duplicateAt !== undefined && (!first?.pos || duplicateAt < first.pos[0]))
    first = { message: 'Map keys must be unique', pos: [duplicateAt, duplicateAt] };
  if (!first) return;
  const pos = first.pos ? lineCounter.linePos(first.pos[0]) : undefined;
  const location = pos ? { file, line: pos.line, column: pos.col } : { file };
  const message = first.message.split('\n')[0] ?? first.message;
  // the parser recurses per level: a deep enough nesting ends its stack, which it reports as an error
  if (/Maximum call stack size exceeded/.test(message))
    throw inputError(`YAML nested too deeply to read (more than the parser's stack holds)`, {
      location,
      hint: `flatten the structure: vitictl reads at most ${YAML_LIMITS.depth} levels`,
    });
  throw inputError(`malformed YAML: ${message.replace(/ at line \d+, column \d+:?$/, '')}`, {
    location,
    hint: 'check indentation and quoting around that position',
  });
}

// logLevel error: the yaml package would otherwise print its warnings to stderr itself.
// uniqueKeys false: the package's check is quadratic, `firstDuplicateKey` does it instead.
// prettyErrors false: the package copies the whole line into every error it makes pretty, and one
// line of commas makes an error each (`a: [1` and 499,000 commas ran for minutes); the position is
// worked out here, for the one error shown.
const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: false, logLevel: 'error' } as const;

/** Throw the first error of a parsed document, a duplicate key included. */
function checkDocument(file: string, doc: Document.Parsed, lineCounter: LineCounter): void {
  throwYamlErrors(file, doc.errors, lineCounter, firstDuplicateKey(doc));
}

/** Parse one YAML document from text; malformed YAML is a VitictlError with file:line:column. */
export function parseYamlSource(file: string, text: string): YamlSource {
  checkComplexity(file, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter });
  checkDocument(file, doc, lineCounter);
  return makeSource(file, doc, lineCounter);
}

/** Parse a multi-document YAML stream (e.g. a CRD bundle); empty documents are dropped. */
export function parseYamlStream(file: string, text: string): YamlSource[] {
  checkComplexity(file, text);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter });
  // a stream without documents (comments, directives alone) carries its errors itself
  if ('empty' in docs) throwYamlErrors(file, docs.errors, lineCounter);
  const sources: YamlSource[] = [];
  for (const doc of docs) {
    checkDocument(file, doc, lineCounter);
    if (doc.contents === null) continue;
    sources.push(makeSource(file, doc, lineCounter));
  }
  return sources;
}
