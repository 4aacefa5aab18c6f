import fc from 'fast-check';
import { expect } from 'vitest';
import { VitictlError } from '../../src/errors.js';

/** Run `parse` on every generated input: it returns or throws a VitictlError of kind input/usage, nothing else. */
export function onlyInputErrors<T>(
  arbitrary: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  numRuns = 300,
): void {
  const heapBefore = process.memoryUsage().heapUsed;
  fc.assert(
    fc.property(arbitrary, (input) => {
      try {
        parse(input);
      } catch (error) {
        if (!(error instanceof VitictlError) || (error.kind !== 'input' && error.kind !== 'usage'))
          throw error;
      }
    }),
    { numRuns },
  );
  // what the parses kept alive (leaks, caches) stays small whatever they were given
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 2 ** 20);
}

/** `base` with a few bytes overwritten, inserted or cut: mostly-valid input that breaks somewhere. */
export function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.record({
    at: fc.nat({ max: Math.max(0, base.length - 1) }),
    kind: fc.constantFrom('set', 'insert', 'cut'),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes = Buffer.from(base);
    for (const { at, kind, bytes: patch } of edits) {
      if (kind === 'set') {
        if (at < bytes.length) bytes.set(patch.subarray(0, bytes.length - at), at);
      } else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), patch, bytes.subarray(at)]);
      else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + patch.length)]);
    }
    return bytes;
  });
}
