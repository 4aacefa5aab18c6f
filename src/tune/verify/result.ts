import { z } from 'zod';
import { latencySummarySchema } from '../../report/histogram.js';
import { tuneResultSchema } from '../../report/sections/tune.js';

/**
 * verify.json: what `vitictl tune verify` did and found. Versioned; every number in it was measured
 * (or predicted, and says so). Renderers read it and compute nothing.
 */

export const VERIFY_RESULT_VERSION = 1 as const;

/** One run as verify compares it: enough to judge and render, without the whole RunResult. */
export const runSummarySchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  scenario: z.string(),
  objects: z.number().int(),
  load: z.string(),
  counts: z.object({
    ready: z.number().int(),
    failed: z.number().int(),
    timedOut: z.number().int(),
    /** objects that never finished because the run was interrupted */
    unfinished: z.number().int(),
  }),
  interrupted: z.boolean(),
  /** client time to ready, ms, with its HDR histogram */
  timeToReady: latencySummarySchema,
  /**
   * the config's hash (as vitistack_config_generation reports it): for the run before, the live
   * ConfigMap's when verify started (the run itself does not record it); for the run after, the applied one
   */
  configHash: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const percentileNameSchema = z.enum(['p50', 'p90', 'p99']);
export type PercentileName = z.infer<typeof percentileNameSchema>;

export const percentileComparisonSchema = z.object({
  percentile: percentileNameSchema,
  beforeMs: z.number(),
  predictedMs: z.number().nullable(),
  measuredMs: z.number().nullable(),
  /** (measured − predicted) ÷ predicted × 100; null without both */
  errorPct: z.number().nullable(),
  /**
   * the re-measured baseline's percentile × the change the model fitted there predicts for the
   * applied settings (over several rounds, the median of the baselines' predictions); null when not
   * re-measured or when every baseline's model refused
   */
  reanchoredMs: z.number().nullable().default(null),
  /** (measured − re-anchored) ÷ re-anchored × 100 */
  reanchoredErrorPct: z.number().nullable().default(null),
});
export type PercentileComparison = z.infer<typeof percentileComparisonSchema>;

/** A 95% distribution-free interval for a percentile, from the order statistics of the run. */
export const intervalSchema = z.object({ lowMs: z.number(), highMs: z.number() });

export const decisionSchema = z.object({
  verdict: z.enum(['kept', 'rolled-back', 'interrupted']),
  /** one sentence: why */
  reason: z.string(),
  /** the rule's inputs, so the verdict can be checked by hand */
  rule: z
    .object({
      minImprovementPct: z.number(),
      beforeP99Ms: z.number(),
      afterP99Ms: z.number(),
      improvementPct: z.number(),
      beforeP99Interval: intervalSchema,
      afterP99Interval: intervalSchema,
      beyondNoise: z.boolean(),
      newErrors: z.number().int(),
      /**
       * what the recommendation was expected to do to p99: 'faster' when it raises load-adding knobs,
       * 'not-worse' when the tuner held them (the API server has no room): then the config is kept
       * when p99 is not worse by more than the margin
       */
      expect: z.enum(['faster', 'not-worse']).default('faster'),
      /** the tuner's predicted p99 change for the recommendation, % of its predicted current p99; null without a prediction */
      predictedImprovementPct: z.number().nullable().default(null),
      /**
       * the run-to-run noise seen on this cluster: how much shorter the shortest of the same config's
       * p99s was than the longest (% of the longest: the improvement's units) — the rounds' baselines,
       * or with one round the recorded run and its re-measured baseline; null when not re-measured
       */
      runToRunPct: z.number().nullable().default(null),
      /** the margin the rule used: the larger of minImprovementPct and runToRunPct */
      marginPct: z.number(),
      /**
       * with several rounds, each round's p99s and change (the figures above are then medians over
       * the rounds, and the intervals those of the round nearest the median); empty for one round
       */
      rounds: z
        .array(
          z.object({
            beforeP99Ms: z.number(),
            afterP99Ms: z.number(),
            improvementPct: z.number(),
            beyondNoise: z.boolean(),
          }),
        )
        .default([]),
    })
    .nullable(),
});
export type Decision = z.infer<typeof decisionSchema>;

/** How verify knew the controller had taken a config. */
export const settleSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('metric'),
    target: z.string(),
    /** vitistack_config_generation before the change and once the new config was in force */
    before: z.object({ hash: z.string(), generation: z.number() }).nullable(),
    after: z.object({ hash: z.string(), generation: z.number() }),
    seconds: z.number(),
  }),
  z.object({ method: z.literal('restart'), workload: z.string(), seconds: z.number() }),
  z.object({ method: z.literal('settle'), seconds: z.number() }),
]);
export type Settle = z.infer<typeof settleSchema>;

export const configDiffSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  existed: z.boolean(),
  removed: z.array(z.string()),
  added: z.array(z.string()),
});

export const verifyResultSchema = z.object({
  schemaVersion: z.literal(VERIFY_RESULT_VERSION),
  kind: z.literal('vitictl.io/VerifyResult'),
  startedAt: z.string(),
  endedAt: z.string(),
  /**
   * what the p99 is compared with: the same load re-run with the live config just before the
   * recommendation was applied ('remeasured', the default), or the recorded run itself ('recorded')
   */
  baseline: z.enum(['remeasured', 'recorded']).default('recorded'),
  /** the run the recommendation was computed from (run.json); `before` is this run unless re-measured */
  recorded: runSummarySchema.optional(),
  /** the baseline: the run the re-run is compared with */
  before: runSummarySchema,
  /** null when the re-run never happened (interrupted or failed before it) */
  after: runSummarySchema.nullable(),
  /**
   * with --rounds above 1: every round's baseline and re-run, in the order they ran (`before` and
   * `after` are the first round's); empty for one round
   */
  rounds: z.array(z.object({ baseline: runSummarySchema, after: runSummarySchema.nullable() })).default([]),
  comparison: z.array(percentileComparisonSchema),
  /**
   * the prediction re-anchored on the baseline(s): each re-measured baseline's percentiles times the
   * change the model, fitted on that baseline, predicts for the applied settings; so neither the
   * cluster's move since the recorded run nor the model's miss on the baseline is in its error; null
   * when the baseline was not re-measured
   */
  reanchored: z
    .object({
      /** per baseline: its run, how well the model refitted on it reproduces it (predicted ÷ measured) */
      fits: z.array(
        z.object({ runId: z.string(), fit: z.object({ p50: z.number(), p99: z.number() }).nullable() }),
      ),
      /** why a baseline gave no prediction (the settings outside what it saw, a model that misses it by > 2×) */
      refused: z.array(z.string()),
    })
    .nullable()
    .default(null),
  decision: decisionSchema,
  diff: configDiffSchema,
  /** the hash of the applied performance.yaml (what the controller's generation metric must show) */
  appliedHash: z.string(),
  settle: settleSchema.nullable(),
  /** what was done to the ConfigMap at the end (a restore that fails is an error: exit 1, no verify.json) */
  restored: z.enum(['not-needed', 'replaced', 'deleted']),
  tune: tuneResultSchema,
  notes: z.array(z.string()),
});
export type VerifyResult = z.infer<typeof verifyResultSchema>;
