import { VitictlError } from '../../src/errors.js';

/** The VitictlError `run` throws; anything else (or nothing) fails the test. */
export function thrownBy(run: () => unknown): VitictlError {
  try {
    run();
  } catch (error) {
    if (error instanceof VitictlError) return error;
    throw error;
  }
  throw new Error('expected a VitictlError');
}

/** The VitictlError `run` rejects with; anything else (or success) fails the test. */
export async function thrownByAsync(run: () => Promise<unknown>): Promise<VitictlError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof VitictlError) return error;
    throw error;
  }
  throw new Error('expected a VitictlError');
}

/** The error lines a failed command printed (progress lines and hints aside). */
export function errorLines(stderr: unknown): string[] {
  return String(stderr)
    .split('\n')
    .filter((line) => line.startsWith('error:'));
}
