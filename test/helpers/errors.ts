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
