import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

/** A zod schema for a duration string that yields milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    if (value >= 0) return value * 1000;
    ctx.addIssue({ code: 'custom', message: 'a duration cannot be negative' });
    return z.NEVER;
  }
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a duration (expected e.g. 500ms, 30s, 5m, 1h30m)`,
    });
    return z.NEVER;
  }
  return ms;
});
