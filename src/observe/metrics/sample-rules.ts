import type { MetricFamily, Sample } from './model.js';
import { parseNumber } from './numbers.js';
import type { SampleToken } from './tokens.js';

/**
 * The specifications' rules for one sample, each a named check (strict mode only). The sample already
 * belongs to `family`; `suffix` is what its name adds to the family name.
 */

export interface SampleContext {
  family: MetricFamily;
  sample: Sample;
  token: SampleToken;
  suffix: string;
  openMetrics: boolean;
  fail: (message: string, column?: number) => never;
}

type Rule = (ctx: SampleContext) => void;

const EXEMPLAR_LABELS_MAX = 128;

function labelColumn(ctx: SampleContext, name: string): number | undefined {
  return ctx.token.labels.find((label) => label.name === name)?.column;
}

const isBucket = (ctx: SampleContext) =>
  (ctx.family.type === 'histogram' || ctx.family.type === 'gaugehistogram') && ctx.suffix === '_bucket';
const isQuantile = (ctx: SampleContext) => ctx.family.type === 'summary' && ctx.suffix === '';

/** OpenMetrics reserves names starting with "_"; text 0.0.4 reserves label names starting with "__". */
const reservedLabelNames: Rule = (ctx) => {
  const reserved = ctx.openMetrics ? '_' : '__';
  for (const label of ctx.token.labels) {
    if (label.name.startsWith(reserved))
      ctx.fail(`label name ${label.name} is reserved (it starts with "${reserved}")`, label.column);
  }
};

/** Buckets carry a numeric "le" (not NaN; +Inf written "+Inf" in OpenMetrics); nothing else does. */
const bucketBound: Rule = (ctx) => {
  const { type } = ctx.family;
  if (type !== 'histogram' && type !== 'gaugehistogram') return;
  const le = ctx.sample.labels.le;
  if (!isBucket(ctx)) {
    if (le !== undefined) ctx.fail(`${ctx.sample.name} must not have an "le" label`, labelColumn(ctx, 'le'));
    return;
  }
  if (le === undefined) return ctx.fail(`${ctx.sample.name} has no "le" label`);
  const bound = parseNumber(le);
  if (bound === undefined || Number.isNaN(bound))
    ctx.fail(`${ctx.sample.name}: le="${le}" is not a number`, labelColumn(ctx, 'le'));
  if (ctx.openMetrics && bound === Number.POSITIVE_INFINITY && le !== '+Inf')
    ctx.fail(
      `${ctx.sample.name}: write the infinite bound as le="+Inf", not "${le}"`,
      labelColumn(ctx, 'le'),
    );
};

/** Quantile samples carry a "quantile" in [0, 1]; a summary's other samples do not. */
const summaryQuantile: Rule = (ctx) => {
  if (ctx.family.type !== 'summary') return;
  const quantile = ctx.sample.labels.quantile;
  if (!isQuantile(ctx)) {
    if (quantile !== undefined)
      ctx.fail(`${ctx.sample.name} must not have a "quantile" label`, labelColumn(ctx, 'quantile'));
    return;
  }
  if (quantile === undefined) return ctx.fail(`${ctx.sample.name} has no "quantile" label`);
  const q = parseNumber(quantile);
  if (q === undefined || !(q >= 0 && q <= 1))
    ctx.fail(
      `${ctx.sample.name}: quantile="${quantile}" is not a number from 0 to 1`,
      labelColumn(ctx, 'quantile'),
    );
};

/** Each state of a stateset is a sample with a label named like the family. */
const statesetLabel: Rule = (ctx) => {
  if (ctx.family.type === 'stateset' && ctx.sample.labels[ctx.family.name] === undefined)
    ctx.fail(`stateset ${ctx.family.name}: each sample needs a label ${ctx.family.name}="<state>"`);
};

/** Which samples are counters in disguise (never NaN, never negative) and which must be integers. */
function counterLike(ctx: SampleContext): { counter: boolean; nonNegative: boolean; integer: boolean } {
  const { type } = ctx.family;
  const suffix = ctx.suffix;
  if (!ctx.openMetrics) {
    // text 0.0.4: counters, bucket counts and observation counts (sums may be negative)
    const counter =
      type === 'counter' || ((type === 'histogram' || type === 'summary') && suffix === '_count');
    const bucket = type === 'histogram' && suffix === '_bucket';
    return { counter: counter || bucket, nonNegative: counter || bucket, integer: false };
  }
  if (type === 'counter')
    return { counter: suffix === '_total', nonNegative: suffix === '_total', integer: false };
  if (type === 'histogram' || type === 'summary') {
    const counter = suffix === '_count' || suffix === '_sum' || suffix === '_bucket';
    return { counter, nonNegative: counter, integer: suffix === '_count' || suffix === '_bucket' };
  }
  if (type === 'gaugehistogram') {
    const counts = suffix === '_gcount' || suffix === '_bucket';
    return { counter: counts || suffix === '_gsum', nonNegative: counts, integer: counts };
  }
  return { counter: false, nonNegative: false, integer: false };
}

/** Counters, sums, counts and buckets: not NaN, not negative, counts and buckets whole numbers. */
const counterValues: Rule = (ctx) => {
  const { counter, nonNegative, integer } = counterLike(ctx);
  const value = ctx.sample.value;
  const at = ctx.token.valueColumn;
  if (counter && Number.isNaN(value)) ctx.fail(`${ctx.sample.name} cannot be NaN`, at);
  if (nonNegative && value < 0) ctx.fail(`${ctx.sample.name} cannot be negative`, at);
  if (integer && Number.isFinite(value) && !Number.isInteger(value))
    ctx.fail(`${ctx.sample.name} must be a whole number`, at);
};

/** Quantile values are not negative; states are 0 or 1; an info sample's value is 1. */
const valuesPerType: Rule = (ctx) => {
  const value = ctx.sample.value;
  const at = ctx.token.valueColumn;
  if (isQuantile(ctx) && value < 0) ctx.fail(`${ctx.sample.name}: a quantile value cannot be negative`, at);
  if (!ctx.openMetrics) return;
  if (ctx.family.type === 'stateset' && value !== 0 && value !== 1)
    ctx.fail(`stateset ${ctx.family.name}: a state's value is 0 or 1`, at);
  if (ctx.family.type === 'info' && value !== 1)
    ctx.fail(`info ${ctx.family.name}: the value is always 1`, at);
};

/** Exemplars only on histogram buckets and counter totals, their labels at most 128 code points. */
const exemplarPlacement: Rule = (ctx) => {
  const exemplar = ctx.token.exemplar;
  if (!exemplar) return;
  const allowed = isBucket(ctx) || (ctx.family.type === 'counter' && ctx.suffix === '_total');
  if (!allowed)
    ctx.fail(
      `${ctx.sample.name}: exemplars belong only on histogram buckets and counter totals`,
      exemplar.column,
    );
  let length = 0;
  for (const label of exemplar.labels) {
    for (const _ of label.name) length++;
    for (const _ of label.value) length++;
  }
  if (length > EXEMPLAR_LABELS_MAX)
    ctx.fail(`exemplar labels longer than ${EXEMPLAR_LABELS_MAX} characters (${length})`, exemplar.column);
  for (const label of exemplar.labels) {
    if (label.name.startsWith('_'))
      ctx.fail(`label name ${label.name} is reserved (it starts with "_")`, label.column);
  }
};

export const SAMPLE_RULES: readonly Rule[] = [
  reservedLabelNames,
  bucketBound,
  summaryQuantile,
  statesetLabel,
  counterValues,
  valuesPerType,
  exemplarPlacement,
];
