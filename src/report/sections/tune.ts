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

/** The one resource that limits time-to-ready along the path create → API server → controller → ready. */
export const bottleneckSchema = z.enum([
  'workers',
  'client-qps',
  'apiserver',
  'webhook',
  'cpu',
  'memory',
  'leak',
  'none',
]);
export type Bottleneck = z.infer<typeof bottleneckSchema>;

export const diagnosisSchema = z.object({
  bottleneck: bottleneckSchema,
  message: z.string(),
  /** the figures the verdict rests on */
  evidence: z.record(z.string(), z.union([z.string(), z.number()]).nullable()),
  /** what would help when turning the controller's own knobs up would not */
  instead: z.array(z.string()),
});
export type Diagnosis = z.infer<typeof diagnosisSchema>;

/** Time-to-ready percentiles, ms. */
export const percentilesMsSchema = z.object({ p50Ms: z.number(), p90Ms: z.number(), p99Ms: z.number() });
export type PercentilesMs = z.infer<typeof percentilesMsSchema>;

/** The model's time-to-ready percentiles (ms, over its Monte-Carlo replications) and what it says of the controller. */
export const modelOutputSchema = percentilesMsSchema.extend({
  maxMs: z.number(),
  /** mean reconcile duration including limiter waits and API latency, ms (comparable to the measured S̄) */
  reconcileMeanMs: z.number(),
  /** completions per second over the run */
  throughput: z.number(),
  /** the highest request rate the model offered the API server in any second (the load's own included) */
  apiserverPeakRps: z.number(),
});
export type ModelOutput = z.infer<typeof modelOutputSchema>;

const range = z.object({ min: z.number(), max: z.number() });

/** Where the model was fitted: outside these it refuses to predict. */
export const validitySchema = z.object({
  /** objects in the burst it was calibrated on */
  objects: z.number(),
  /** object arrival rates seen (this run, and the stress ladder's steps) */
  arrivalRate: range,
  /** API server request rates seen in the per-scrape series */
  apiserverRps: range,
  /** controller worker counts seen */
  workers: z.array(z.number()),
  /** the API server's mean cores over the run at its mean request rate, and the cores it may use */
  apiserverCpu: z
    .object({ cores: z.number(), gomaxprocs: z.number(), requestsPerSecond: z.number() })
    .nullable()
    .default(null),
});
export type Validity = z.infer<typeof validitySchema>;

/** The API server's mean latency for a call at an offered request rate: baseMs + msPerRps·rate. */
export const latencyCurveSchema = z.object({
  baseMs: z.number(),
  msPerRps: z.number(),
  /** scrape intervals the line was fitted on */
  points: z.number().int(),
  /** correlation of latency with rate over those points */
  correlation: z.number().nullable(),
});
export type LatencyCurve = z.infer<typeof latencyCurveSchema>;

export const predictionSchema = z.object({
  model: z.string(),
  /** the controller's own work per reconcile (no limiter wait, no API latency), s */
  workSeconds: z.number(),
  calibration: z.object({
    /** the factor on the measured work that reproduces the measured spread p99 − p50 */
    workScale: z.number(),
    /** time outside the controller (create, watch delivery, what the model does not see), ms */
    offsetMs: z.number(),
    /** σ of the lognormal reconcile work, from the measured mean and p95 */
    workSigma: z.number(),
    apiserver: latencyCurveSchema.nullable(),
    replications: z.number().int(),
    seed: z.number().int(),
  }),
  validity: validitySchema.nullable(),
  current: modelOutputSchema.nullable(),
  recommended: modelOutputSchema.nullable(),
  /** why a prediction was not made (outside the range of validity), one line each */
  refused: z.array(z.string()),
  /** predicted-current ÷ measured, at p50 and p99: how well the model reproduces this run */
  fit: z.object({ p50: z.number(), p99: z.number() }).nullable(),
  /**
   * Set when the formulas' settings are beyond what the run saw: the recommendation is then the
   * largest step toward them that the model can still predict (`recommended` is that step's).
   */
  step: z
    .object({
      /** the settings the formulas ask for */
      target: effectiveSettingsSchema,
      /** how far the step goes, 0–1: each raised knob moves this fraction of the way, as a ratio */
      fraction: z.number(),
      /** why the model would not predict the target */
      beyond: z.array(z.string()),
    })
    .nullable()
    .default(null),
  /**
   * Set when no step was predictable and even the least raise of workers, QPS or burst would take
   * the API server past the share of its cores where it counts as CPU-bound: those knobs are kept.
   */
  held: z
    .object({
      /** the least raise that was tried */
      settings: effectiveSettingsSchema,
      why: z.string(),
    })
    .nullable()
    .default(null),
});
export type Prediction = z.infer<typeof predictionSchema>;

/** Memory and CPU for the real object count and the peak rate, from fits over the run's scrapes. */
export const sizingSchema = z.object({
  objects: z.number().int(),
  /** where the object count came from */
  objectsSource: z.enum(['flag', 'cluster', 'run']),
  /** objects the controller held at the run's peak */
  objectsSeen: z.number().int(),
  peakRate: z.number(),
  /** set when N is over 10× what the run saw: says from what it was extrapolated */
  extrapolated: z.string().nullable(),
  memory: z
    .object({
      /** live heap = heapBaseBytes + heapPerObjectBytes · cached objects (least squares over the scrapes) */
      heapBaseBytes: z.number(),
      heapPerObjectBytes: z.number(),
      /** RSS beyond the live heap's GC goal (runtime, stacks, binary) */
      overheadBytes: z.number(),
      gogc: z.number(),
      /** overhead + live heap at N · (1 + GOGC/100) */
      needBytes: z.number(),
      points: z.number().int(),
    })
    .nullable(),
  cpu: z
    .object({
      /** cores = baseCores + coresPerObjectPerSecond · arrival rate (least squares over the scrapes) */
      baseCores: z.number(),
      coresPerObjectPerSecond: z.number(),
      needCores: z.number(),
      points: z.number().int(),
    })
    .nullable(),
});
export type Sizing = z.infer<typeof sizingSchema>;

const tuneResultShape = z.object({
  runId: z.string(),
  target: z.string(),
  controller: z.string(),
  windowSeconds: z.number(),
  currentSource: z.string(),
  settings: z.object({ current: effectiveSettingsSchema, recommended: effectiveSettingsSchema }),
  diagnosis: diagnosisSchema,
  /** set when the run shows a leak: no recommendation is made */
  refused: z.string().optional(),
  recommendations: z.array(recommendationSchema),
  config: performanceConfigSchema,
  /** the run's time-to-ready, ms */
  measured: percentilesMsSchema.nullable(),
  prediction: predictionSchema.nullable(),
  sizing: sizingSchema.nullable(),
  notes: z.array(z.string()),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Seconds-based percentiles of the first tune sections → ms. */
function secondsToMs(value: unknown): unknown {
  if (!isRecord(value) || typeof value.p50 !== 'number') return value;
  const ms = (key: string) => (typeof value[key] === 'number' ? (value[key] as number) * 1000 : 0);
  return {
    p50Ms: ms('p50'),
    p90Ms: ms('p90'),
    p99Ms: ms('p99'),
    maxMs: ms('max'),
    reconcileMeanMs: ms('reconcileMean'),
    throughput: typeof value.throughput === 'number' ? value.throughput : 0,
    apiserverPeakRps: 0,
  };
}

/**
 * Tune sections written before the model had the API server, a distribution and sizing: seconds
 * become ms, `measured` moves up, 429s become the API server bottleneck, the new parts are empty.
 */
function upgradeTuneSection(raw: unknown): unknown {
  if (!isRecord(raw) || 'sizing' in raw) return raw;
  const diagnosis = isRecord(raw.diagnosis) ? raw.diagnosis : {};
  const prediction = isRecord(raw.prediction) ? raw.prediction : null;
  const measured = prediction && isRecord(prediction.measured) ? secondsToMs(prediction.measured) : null;
  return {
    ...raw,
    diagnosis: {
      ...diagnosis,
      bottleneck: diagnosis.bottleneck === 'server-throttling' ? 'apiserver' : diagnosis.bottleneck,
      evidence: diagnosis.evidence ?? {},
      instead: diagnosis.instead ?? [],
    },
    measured: isRecord(measured)
      ? { p50Ms: measured.p50Ms, p90Ms: measured.p90Ms, p99Ms: measured.p99Ms }
      : null,
    prediction: prediction && {
      model: prediction.model,
      workSeconds: prediction.workSeconds,
      calibration: { workScale: 1, offsetMs: 0, workSigma: 0, apiserver: null, replications: 1, seed: 0 },
      validity: null,
      current: secondsToMs(prediction.current),
      recommended: secondsToMs(prediction.recommended),
      refused: [],
      fit: null,
    },
    sizing: null,
  };
}

export const tuneResultSchema = z.preprocess(upgradeTuneSection, tuneResultShape);
export type TuneResult = z.infer<typeof tuneResultShape>;
