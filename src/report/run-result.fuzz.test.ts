import fc from 'fast-check';
import { describe, it } from 'vitest';
import { onlyInputErrors } from '../../test/helpers/fuzz.js';
import { shard } from '../../test/helpers/run-fixture.js';
import { parseRunResult } from './run-result.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every [path, parent] in a JSON value, for picking a leaf to replace. */
function slots(
  value: Json,
  out: Array<{ parent: Json[] | { [key: string]: Json }; key: string | number }> = [],
) {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      out.push({ parent: value, key: Array.isArray(value) ? Number(key) : key });
      slots(child, out);
    }
  }
  return out;
}

describe('parseRunResult on hostile JSON', () => {
  const base = JSON.stringify(shard(0, [100, 200, 300], 0).result);

  it('a RunResult with values replaced is a RunResult or an input error', () => {
    const replacement = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(-1, 1e15, 'HISTFAAAACR4nJNpmSzMwMDAxAABzFCaEUrfggoAAE', ''),
    );
    onlyInputErrors(fc.tuple(fc.nat(), replacement, fc.nat(), replacement), ([i, a, j, b]) => {
      const run = JSON.parse(base) as Json;
      const places = slots(run);
      for (const [index, value] of [
        [i, a],
        [j, b],
      ] as const) {
        const place = places[index % places.length]!;
        (place.parent as Record<string | number, unknown>)[place.key] = value;
      }
      return parseRunResult(run, 'run.json', { file: 'run.json' });
    });
  });
});
