import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition } from './parse.js';

/** Runs the parser; anything thrown other than our input error fails the property. */
function onlyInputErrors(input: string | Uint8Array, strict: boolean, format?: 'text' | 'openmetrics'): void {
  try {
    const parsed = parseExposition(input, { strict, ...(format ? { format } : {}) });
    expect(parsed.problems.length).toBeLessThanOrEqual(1001);
  } catch (error) {
    if (!(error instanceof ExpositionError)) throw error;
    expect(error.line).toBeGreaterThanOrEqual(1);
  }
}

/** Pieces that exercise every state of the tokenizer and the rules. */
const piece = fc.constantFrom(
  'a',
  'h_bucket',
  'h_count',
  'h_sum',
  'c_total',
  '_created',
  '{',
  '}',
  '"',
  '\\',
  '\\n',
  '=',
  ',',
  ' ',
  '\t',
  '\n',
  '\r',
  '#',
  '# TYPE h histogram\n',
  '# TYPE c counter\n',
  '# HELP a x\n',
  '# UNIT a_s s\n',
  '# EOF',
  'le="+Inf"',
  'quantile="0.5"',
  '1',
  '-1',
  '1.5e3',
  'NaN',
  '+Inf',
  '1e400',
  'ü',
  '\u0000',
);
const formats = fc.constantFrom<'text' | 'openmetrics' | undefined>('text', 'openmetrics', undefined);

describe('the parser on any input: our input error or a result, nothing else', () => {
  it('arbitrary bytes, strict and lenient, each format', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), formats, (bytes, strict, format) =>
        onlyInputErrors(bytes, strict, format),
      ),
      { numRuns: 400 },
    );
  });

  it('sequences of exposition syntax, strict and lenient, each format', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), fc.boolean(), formats, (pieces, strict, format) =>
        onlyInputErrors(pieces.join(''), strict, format),
      ),
      { numRuns: 1500 },
    );
  });
});

describe('memory stays bounded whatever the input', () => {
  it('100,000 generated lines, lenient: 1,001 problems kept, RSS grows by less than 200 MB', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 12 }), (pieces) => {
        const line = `${pieces.join('').replaceAll('\n', ' ')}{\n`; // an unclosed brace: bad, unless a comment
        const input = Buffer.from(line.repeat(100_000));
        const before = process.memoryUsage().rss;
        const parsed = parseExposition(input, { format: 'text' });
        expect(parsed.problems.length).toBeLessThanOrEqual(1001);
        expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
      }),
      { numRuns: 3 },
    );
  });
});

/** A valid OpenMetrics histogram family from generated bucket increments. */
const histogramFamily = fc
  .record({
    // `le` is the bucket label a histogram adds itself: a series may not carry it too
    labels: fc.uniqueArray(
      fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/).filter((name) => name !== 'le'),
      { maxLength: 3 },
    ),
    values: fc.array(fc.stringMatching(/^[ -!#-[\]-~]{0,12}$/), { minLength: 3, maxLength: 3 }),
    increments: fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 }),
    sum: fc.double({ min: 0, max: 1e9, noNaN: true }),
  })
  .map(({ labels, values, increments, sum }) => {
    const set = labels.map((name, i) => `${name}="${values[i]}"`);
    let count = 0;
    const lines = increments.map((increment, i) => {
      count += increment;
      return `h_bucket{${[...set, `le="${(i + 1) * 0.5}"`].join(',')}} ${count}`;
    });
    const plain = set.length ? `{${set.join(',')}}` : '';
    lines.push(
      `h_bucket{${[...set, 'le="+Inf"'].join(',')}} ${count}`,
      `h_count${plain} ${count}`,
      `h_sum${plain} ${sum}`,
    );
    return { text: `# TYPE h histogram\n${lines.join('\n')}\n# EOF\n`, samples: lines.length };
  });

describe('valid expositions are accepted whole', () => {
  it('a generated OpenMetrics histogram parses strictly with every sample', () => {
    fc.assert(
      fc.property(histogramFamily, ({ text, samples }) => {
        const parsed = parseExposition(text, { strict: true });
        expect(parsed.families.get('h')!.samples).toHaveLength(samples);
      }),
      { numRuns: 300 },
    );
  });
});
