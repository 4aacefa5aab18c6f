import {
  type Document,
  isMap,
  isScalar,
  isSeq,
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
 * An upper estimate of the nodes a YAML text makes, without parsing it: every node starts a line or
 * follows one of `- : , [ {`. Counting those characters (in strings too) over-counts a little.
 */
function estimateNodes(text: string): number {
  let count = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // \n , - : [ {
    if (c === 10 || c === 44 || c === 45 || c === 58 || c === 91 || c === 123) count++;
  }
  return count;
}

function checkComplexity(file: string, text: string): void {
  const nodes = estimateNodes(text);
  if (nodes > YAML_LIMITS.nodes) {
    throw inputError(
      `YAML too complex: about ${nodes.toLocaleString('en-US')} nodes, more than the ${YAML_LIMITS.nodes.toLocaleString('en-US')} vitictl reads`,
      {
        location: { file },
        hint: 'a scenario describes objects by count and template; it does not list them',
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

function throwYamlErrors(
  file: string,
  doc: {
    errors: ReadonlyArray<{ message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }>;
  },
) {
  const first = doc.errors[0];
  if (!first) return;
  const pos = first.linePos?.[0];
  const message = first.message.split('\n')[0] ?? first.message;
  // the parser recurses per level: a deep enough nesting ends its stack, which it reports as an error
  if (/Maximum call stack size exceeded/.test(message))
    throw inputError(`YAML nested too deeply to read (more than the parser's stack holds)`, {
      location: pos ? { file, line: pos.line, column: pos.col } : { file },
      hint: `flatten the structure: vitictl reads at most ${YAML_LIMITS.depth} levels`,
    });
  throw inputError(`malformed YAML: ${message.replace(/ at line \d+, column \d+:?$/, '')}`, {
    location: pos ? { file, line: pos.line, column: pos.col } : { file },
    hint: 'check indentation and quoting around that position',
  });
}

// logLevel error: the yaml package would otherwise print its warnings to stderr itself
const PARSE_OPTIONS = { prettyErrors: true, uniqueKeys: true, logLevel: 'error' } as const;

/** Parse one YAML document from text; malformed YAML is a VitictlError with file:line:column. */
export function parseYamlSource(file: string, text: string): YamlSource {
  checkComplexity(file, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter });
  throwYamlErrors(file, doc);
  return makeSource(file, doc, lineCounter);
}

/** Parse a multi-document YAML stream (e.g. a CRD bundle); empty documents are dropped. */
export function parseYamlStream(file: string, text: string): YamlSource[] {
  checkComplexity(file, text);
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter });
  if (!Array.isArray(docs)) throwYamlErrors(file, docs);
  const list = Array.isArray(docs) ? docs : [];
  const sources: YamlSource[] = [];
  for (const doc of list) {
    throwYamlErrors(file, doc);
    if (doc.contents === null) continue;
    sources.push(makeSource(file, doc, lineCounter));
  }
  return sources;
}
