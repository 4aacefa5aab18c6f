import { describe, expect, it } from 'vitest';
import type { JsonSchema } from './json-schema.js';
import { compilePattern, stringMatching } from './regex.js';
import { mulberry32 } from './rng.js';
import { stringFor } from './schema-strings.js';
import { stringProblems } from './validate-object.js';

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

/** The value drawn for `schema` with each seed; 'field' names no readable candidate that fits. */
const drawAll = (schema: JsonSchema, seeds = SEEDS) =>
  seeds.map((seed) => stringFor(schema, 'field', 0, mulberry32(seed)));

function expectValidForEverySeed(schema: JsonSchema, seeds = SEEDS) {
  for (const [i, value] of drawAll(schema, seeds).entries()) {
    expect(value, `seed ${seeds[i]}`).toBeDefined();
    expect(stringProblems(schema, value as string), `seed ${seeds[i]}`).toEqual([]);
  }
}

describe('stringFor from a pattern', () => {
  it('finds a value in a narrow length window of a repeated pattern', () => {
    expectValidForEverySeed({ type: 'string', pattern: '^a+$', minLength: 40, maxLength: 41 });
  });

  it('finds a value of one exact, long length', () => {
    expectValidForEverySeed(
      { type: 'string', pattern: '^[a-z]+$', minLength: 1000, maxLength: 1000 },
      SEEDS.slice(0, 15),
    );
  });

  it('finds a value in a narrow window when two repetitions share the length', () => {
    expectValidForEverySeed({ type: 'string', pattern: '^a+b+$', minLength: 50, maxLength: 52 });
  });

  it('finds a value in an exact window when the repeated part is two characters', () => {
    expectValidForEverySeed({ type: 'string', pattern: '^(ab)+$', minLength: 10, maxLength: 10 });
  });

  it('ends with no value, quickly, when no matching string has a length in the window', () => {
    const started = performance.now();
    const values = drawAll({ type: 'string', pattern: '^(ab)+$', minLength: 11, maxLength: 11 });
    expect(values.every((value) => value === undefined)).toBe(true);
    // ~0.2 ms a value; the bound only catches a search that does not end
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('draws the same value for the same seed', () => {
    for (const schema of [
      { type: 'string', pattern: '^a+$', minLength: 40, maxLength: 41 },
      { type: 'string', pattern: '^a+b+$', minLength: 50, maxLength: 52 },
      { type: 'string', pattern: '^[A-Z]{2}-[0-9]+$', minLength: 6, maxLength: 8 },
    ] satisfies JsonSchema[]) {
      expect(drawAll(schema)).toEqual(drawAll(schema));
    }
  });

  it('keeps random values where random draws fit often enough', () => {
    const schema: JsonSchema = { type: 'string', pattern: '^[A-Z]{2}-[0-9]+$', minLength: 6, maxLength: 8 };
    const values = drawAll(schema);
    expectValidForEverySeed(schema);
    expect(new Set(values).size).toBeGreaterThan(30);
  });

  it('draws a pattern without a length window as one random draw, repetitions capped at 4', () => {
    const pattern = '^[a-z]+(_[0-9]+)*$'; // not 'field-0'
    const generator = (compilePattern(pattern) as { generator: RegExp }).generator;
    for (const seed of SEEDS) {
      expect(stringFor({ type: 'string', pattern }, 'field', 0, mulberry32(seed))).toBe(
        stringMatching(generator, mulberry32(seed), 4),
      );
    }
  });
});
