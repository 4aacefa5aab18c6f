import { z } from 'zod';
import { performanceConfigSchema } from '../../config/performance-schema.js';

/** vitictl tune's result: the verdict on each knob with its evidence, the ConfigMap, the prediction. */

/** What the controller effectively runs with (controller-runtime's defaults where unset). */
export const effectiveSettingsSchema = z.object({
  workers: z.number(),
  /** ≤ 0: no client-side limit (controller-runtime ≥ 0.21 default) */
  qps: z.number(),
  burst: z.number(),
  batchSize: z.number(),
  requeueDelayMs: z.number(),
  timeoutMs: z.number(),
});
export type EffectiveSettings = z.infer<typeof effectiveSettingsSchema>;

const knobValue = z.union([z.string(), z.number(), z.boolean()]).nullable();

/** One knob's verdict, with its evidence: the signals, the formula, the value before. */
export const recommendationSchema = z.object({
  knob: z.string(),
  current: knobValue,
  recommended: knobValue,
  changed: z.boolean(),
  why: z.string(),
  formula: z.string().optional(),
  evidence: z.record(z.string(), z.union([z.string(), z.number()]).nullable()),
});
export type Recommendation = z.infer<typeof recommendationSchema>;

export const bottleneckSchema = z.enum(['client-qps', 'workers', 'server-throttling', 'cpu', 'leak', 'none']);
export type Bottleneck = z.infer<typeof bottleneckSchema>;

/** The model's time-to-ready percentiles (s) and what it says of the controller. */
export const modelOutputSchema = z.object({
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
  /** mean reconcile duration including limiter waits, s (comparable to the measured S̄) */
  reconcileMean: z.number(),
  /** completions per second over the run */
  throughput: z.number(),
});
export type ModelOutput = z.infer<typeof modelOutputSchema>;

export const predictionSchema = z.object({
  model: z.string(),
  workSeconds: z.number(),
  measured: z.object({ p50: z.number(), p90: z.number(), p99: z.number() }).nullable(),
  current: modelOutputSchema,
  recommended: modelOutputSchema,
  /** predicted-current p99 vs measured p99: how well the model fits this run */
  fit: z.number().nullable(),
});
export type Prediction = z.infer<typeof predictionSchema>;

export const tuneResultSchema = z.object({
  runId: z.string(),
  target: z.string(),
  controller: z.string(),
  windowSeconds: z.number(),
  currentSource: z.string(),
  settings: z.object({ current: effectiveSettingsSchema, recommended: effectiveSettingsSchema }),
  diagnosis: z.object({ bottleneck: bottleneckSchema, message: z.string() }),
  /** set when the run shows a leak: no recommendation is made */
  refused: z.string().optional(),
  recommendations: z.array(recommendationSchema),
  config: performanceConfigSchema,
  prediction: predictionSchema.nullable(),
  notes: z.array(z.string()),
});
export type TuneResult = z.infer<typeof tuneResultSchema>;
