import { readFile } from 'node:fs/promises';
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  parseDocument,
} from 'yaml';
import { inputError, type SourceLocation } from '../errors.js';

/** A parsed YAML document that can answer "where in the file is this path?". */
export interface YamlSource {
  file: string;
  value: unknown;
  /** the position of the value at `path`, or of its key (for "unknown field" messages) */
  locate(path: ReadonlyArray<PropertyKey>, target?: 'value' | 'key'): SourceLocation;
}

export async function readTextFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw inputError(`${what} not found: ${file}`, {
        hint: 'check the path (relative paths start at the current directory)',
      });
    }
    if (code === 'EISDIR') throw inputError(`${what} is a directory, not a file: ${file}`);
    throw inputError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
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

function makeSource(file: string, doc: Document.Parsed, lineCounter: LineCounter): YamlSource {
  return {
    file,
    value: doc.toJS({ maxAliasCount: 1000 }),
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
  throw inputError(`malformed YAML: ${message.replace(/ at line \d+, column \d+:?$/, '')}`, {
    location: pos ? { file, line: pos.line, column: pos.col } : { file },
    hint: 'check indentation and quoting around that position',
  });
}

/** Parse one YAML document from text; malformed YAML is a VitictlError with file:line:column. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  throwYamlErrors(file, doc);
  return makeSource(file, doc, lineCounter);
}

/** Parse a multi-document YAML stream (e.g. a CRD bundle); empty documents are dropped. */
export function parseYamlStream(file: string, text: string): YamlSource[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
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
