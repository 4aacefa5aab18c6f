import { inputError } from '../errors.js';
import { type Gate, parseGate } from '../perf/gates/grammar.js';
import { parseYamlSource, readTextFile } from './yaml-source.js';

const HINT = 'a gates file is a YAML list of gates (or gates: [...]), e.g. "- ready.p99 < 30s"';

/** A --gates file: a YAML list of gates, or `gates: [...]`; every gate parsed, errors at file:line:column. */
export function parseGatesFile(file: string, text: string): Gate[] {
  const source = parseYamlSource(file, text);
  const value = source.value;
  if (value === null || value === undefined) {
    throw inputError('the gates file is empty', { location: { file }, hint: HINT });
  }
  const nested = !Array.isArray(value) && typeof value === 'object' && 'gates' in value;
  const list = nested ? (value as { gates: unknown }).gates : value;
  const at: PropertyKey[] = nested ? ['gates'] : [];
  if (!Array.isArray(list)) {
    throw inputError('not a list of gates', { location: source.locate(at), hint: HINT });
  }
  return list.map((gate, index) => {
    const location = source.locate([...at, index]);
    if (typeof gate !== 'string') {
      throw inputError(`gate ${index + 1} is not a string`, {
        location,
        hint: 'quote it: - "ready.p99 < 30s"',
      });
    }
    return parseGate(gate, location);
  });
}

export async function loadGatesFile(file: string): Promise<Gate[]> {
  return parseGatesFile(file, await readTextFile(file, 'gates file'));
}
