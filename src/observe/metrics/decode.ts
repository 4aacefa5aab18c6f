import type { GoRegexp } from '../../util/go-regexp.js';
import { BatchEncoder, type ScrapeBatch } from './batch.js';
import type { Exposition, ParseProblem } from './model.js';
import { parseExposition } from './parse.js';

/** One scrape's body, parsed leniently for a store: its batch and the lines the parser skipped. */
export interface DecodedScrape {
  batch: ScrapeBatch;
  problems: ParseProblem[];
}

/** Lenient parsing skips bad lines; a body with nothing but bad lines is not an exposition at all. */
export function requireExposition(exposition: Exposition): Exposition {
  const first = exposition.problems[0];
  if (exposition.families.size === 0 && first)
    throw new Error(`not a metrics exposition: line ${first.line}: ${first.message}`);
  return exposition;
}

export function parseScrape(
  body: Uint8Array,
  format: Exposition['format'],
  maxInputBytes: number,
): Exposition {
  return requireExposition(parseExposition(body, { format, limits: { maxInputBytes } }));
}

export function decodeScrape(
  body: Uint8Array,
  format: Exposition['format'],
  maxInputBytes: number,
  encoder: BatchEncoder,
): DecodedScrape {
  encoder.startParse();
  const exposition = parseExposition(body, {
    format,
    limits: { maxInputBytes },
    takeLine: encoder.takeLine,
    skipFamily: encoder.skipFamily,
  });
  if (encoder.taken === 0) requireExposition(exposition);
  return { batch: encoder.encode(exposition), problems: exposition.problems };
}

/** Per target, its own encoder: one thread's decoding (a parse worker's, or the event loop's). */
export function targetsDecoder(select: GoRegexp | undefined) {
  const encoders = new Map<string, BatchEncoder>();
  return (target: string, body: Uint8Array, format: Exposition['format'], maxInputBytes: number) => {
    let encoder = encoders.get(target);
    if (!encoder) {
      encoder = new BatchEncoder(select);
      encoders.set(target, encoder);
    }
    return decodeScrape(body, format, maxInputBytes, encoder);
  };
}
