import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonChunks } from './json-chunks.js';

const nonFinite = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
/** Not idempotent: a value replaced twice would show it. */
const tagged = (_key: string, value: unknown) => (typeof value === 'string' ? `<${value}>` : value);

describe('JSON as chunks', () => {
  it('writes what JSON.stringify(value, replacer, 2) writes, at every streaming depth', () => {
    const data = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, true, false, undefined, Number.NaN, Number.POSITIVE_INFINITY, 0, -1.5, 'x\n"'),
        fc.string(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(data, fc.integer({ min: 0, max: 5 }), (value, depth) => {
        // JSON.stringify of a lone undefined is undefined, not text: no chunks
        for (const replacer of [nonFinite, tagged])
          expect([...jsonChunks(value, replacer, depth)].join('')).toBe(
            JSON.stringify(value, replacer, 2) ?? '',
          );
      }),
      { numRuns: 2_000 },
    );
  });

  it('writes an output longer than the longest string V8 makes', () => {
    // 600,000 members of 1,000 characters: 604.8 million characters, more than V8's 2^29 - 24
    const member = 'x'.repeat(1_000);
    const value = { families: Array.from({ length: 600_000 }, () => member) };
    let length = 0;
    for (const chunk of jsonChunks(value, nonFinite)) length += chunk.length;
    // {, the key, [, each member on its own line (",\n" and 4 spaces, but the first has no comma), ], }
    const members = 600_000 * `,\n    "${member}"`.length - 1;
    expect(length).toBe('{\n  "families": ['.length + members + '\n  ]\n}'.length);
    expect(length).toBeGreaterThan(2 ** 29);
  });
});
