import type { PerformanceConfig } from '../config/performance-schema.js';
import type { EffectiveSettings, Prediction, Recommendation } from '../report/sections/tune.js';

/** Edits of a recommended config: a knob set, a step taken in place of a formula's value, load held back. */

/** `path` (dotted) in `config` set to `value`, with the sections on the way made. */
export function setKnob(config: PerformanceConfig, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = config as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** The knobs a step toward the formulas' settings moves, and where each is in the settings. */
const STEPPED_KNOBS: Array<[string, keyof EffectiveSettings]> = [
  ['controller.maxConcurrentReconciles', 'workers'],
  ['rateLimit.qps', 'qps'],
  ['rateLimit.burst', 'burst'],
];

/**
 * The formulas asked for more than the model can vouch for: the raised knobs take the step's values
 * instead, each saying what the formula wanted and why it was not taken in one go.
 */
export function takeStep(
  recommendations: Recommendation[],
  config: PerformanceConfig,
  step: EffectiveSettings,
): void {
  for (const [knob, key] of STEPPED_KNOBS) {
    const rec = recommendations.find((r) => r.knob === knob);
    if (!rec?.changed || rec.recommended === step[key]) continue;
    const wanted = rec.recommended;
    rec.recommended = step[key];
    rec.changed = rec.recommended !== rec.current;
    rec.why = `${rec.why}; a step toward ${String(wanted)}, as far as the model can predict from this run: verify it, then tune again from the new run`;
    setKnob(config, knob, step[key]);
    if (key === 'workers') setKnob(config, 'controller.workers', step[key]);
  }
}

/**
 * The API server has no cores for more load (see `Prediction.held`): the knobs that would add it stay
 * as they are, in the recommendations and in the config.
 */
export function holdLoad(
  recommendations: Recommendation[],
  config: PerformanceConfig,
  original: PerformanceConfig | undefined,
  current: EffectiveSettings,
  held: NonNullable<Prediction['held']>,
): void {
  for (const [knob, key] of STEPPED_KNOBS) {
    const rec = recommendations.find((r) => r.knob === knob);
    // the knobs the least raise moved are the ones the formulas raised
    if (!rec?.changed || held.settings[key] === current[key]) continue;
    rec.why = `the formulas ask for ${String(rec.recommended)} (${rec.why}), but ${held.why}`;
    rec.recommended = rec.current;
    rec.changed = false;
    restore(config, original, knob);
    if (knob === 'controller.maxConcurrentReconciles') restore(config, original, 'controller.workers');
  }
}

/** `path` in `config` as it is in `original`: removed (with a section it leaves empty) when unset there. */
function restore(config: PerformanceConfig, original: PerformanceConfig | undefined, path: string): void {
  const keys = path.split('.');
  let from: unknown = original;
  for (const key of keys) from = (from as Record<string, unknown> | undefined)?.[key];
  if (from !== undefined) {
    setKnob(config, path, from);
    return;
  }
  const parents: Array<Record<string, unknown>> = [config as Record<string, unknown>];
  for (const key of keys.slice(0, -1)) {
    const next = parents.at(-1)?.[key];
    if (typeof next !== 'object' || next === null) return;
    parents.push(next as Record<string, unknown>);
  }
  delete parents.at(-1)![keys.at(-1)!];
  for (let i = parents.length - 1; i > 0 && Object.keys(parents[i]!).length === 0; i--)
    delete parents[i - 1]![keys[i - 1]!];
}
