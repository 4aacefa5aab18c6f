import { z } from 'zod';
import { durationSchema } from './duration-schema.js';

/**
 * A profile's `spec.phases`: the object lifecycle one perf run drives, in order. A phase with `with:`
 * starts together with the named earlier phase and runs alongside it.
 */

/** The bounds of a phase's load, for profiles and the CLI alike. */
export const PHASE_MAX_QPS = 10_000;
export const CHURN_MAX_CYCLES = 1000;

const phaseName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a phase name is a DNS label (lower case, digits, -)');

/** "30%" or 0.3 → 0.3 */
export const shareSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const text = String(value).trim();
  const percent = text.endsWith('%');
  const n = Number(percent ? text.slice(0, -1) : text);
  const share = percent ? n / 100 : n;
  if (share > 0 && share <= 1) return share;
  ctx.addIssue({
    code: 'custom',
    message: `"${value}" is not a share: 30% or 0.3 (more than 0, at most 100%)`,
  });
  return z.NEVER;
});

const common = {
  name: phaseName.optional().describe('unique in the profile; default: the type'),
  with: phaseName.optional().describe('start together with this earlier phase and run alongside it'),
  gates: z.array(z.string()).default([]).describe('gates judged on the whole run, listed with the phase'),
};

/** What update, delete and churn share: which objects, how fast, how long each may take. */
const objects = {
  ...common,
  set: z.string().optional().describe("the scenario's set to touch, when several have readiness rules"),
  qps: z.number().positive().max(PHASE_MAX_QPS).describe('requests per second, evenly spaced'),
  burst: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('at most this many at once after a stall (default rate/10)'),
  timeout: durationSchema.default(120_000).describe('per object, from the answer to the request'),
};

const createPhase = z.strictObject({
  type: z.literal('create'),
  ...common,
});

const updatePhase = z.strictObject({
  type: z.literal('update'),
  ...objects,
  share: shareSchema.default(1),
  patch: z
    .record(z.string(), z.unknown())
    .refine((body) => Object.keys(body).length > 0, 'the patch changes nothing')
    .describe('the change to each object, e.g. {spec: {memory: 4096}}'),
  patchType: z.enum(['merge', 'apply']).default('merge'),
  observedGeneration: z
    .string()
    .default('.status.observedGeneration')
    .describe('where the controller reports the generation it reconciled'),
});

const deletePhase = z.strictObject({
  type: z.literal('delete'),
  ...objects,
  share: shareSchema.default(1),
});

const churnPhase = z
  .strictObject({
    type: z.literal('churn'),
    ...objects,
    share: shareSchema.describe('deleted and created again in each cycle'),
    period: durationSchema
      .default(10_000)
      .describe('a cycle starts this often (or as soon as the last one ends)'),
    cycles: z.number().int().min(1).max(CHURN_MAX_CYCLES).optional(),
    duration: durationSchema.optional().describe('cycles start until this much time has passed'),
  })
  .refine((churn) => churn.cycles === undefined || churn.duration === undefined, {
    message: 'set cycles or duration, not both',
  });

const readPhase = z.strictObject({
  type: z.literal('read'),
  ...common,
  set: z.string().optional().describe("the scenario's set to read, when several have readiness rules"),
  qps: z.number().positive().max(PHASE_MAX_QPS).describe('reads per second, evenly spaced'),
  duration: durationSchema.optional().describe('how long; alongside another phase: until it ends'),
  pageSize: z.number().int().min(1).max(10_000).default(500).describe('LIST page size (limit/continue)'),
  mix: z
    .strictObject({
      list: z.number().nonnegative().default(1).describe('paginated LISTs from etcd (quorum reads)'),
      cachedList: z
        .number()
        .nonnegative()
        .default(1)
        .describe('LISTs with resourceVersion=0 (the watch cache)'),
      get: z.number().nonnegative().default(8).describe('GETs of single objects of the run'),
    })
    .refine((mix) => mix.list + mix.cachedList + mix.get > 0, 'the mix reads nothing')
    .default({ list: 1, cachedList: 1, get: 8 })
    .describe('relative weights of the read kinds'),
  timeout: durationSchema.default(30_000).describe('per request'),
});

/** AdmissionReview load: a webhook phase, and the older spec.webhook section. */
export const webhookLoadFields = {
  configuration: z
    .string()
    .min(1)
    .describe(
      'the Validating/MutatingWebhookConfiguration (or one webhook in it), as webhook bench --webhook',
    ),
  rate: z.number().positive().max(50_000).describe('AdmissionReviews per second (open loop)'),
  duration: durationSchema.default(10_000).describe('measured load, after the warm-up'),
  warmup: durationSchema.default(1000),
};

const webhookPhase = z.strictObject({
  type: z.literal('webhook'),
  ...common,
  ...webhookLoadFields,
});

export const phaseSchema = z.discriminatedUnion('type', [
  createPhase,
  updatePhase,
  deletePhase,
  churnPhase,
  readPhase,
  webhookPhase,
]);
export type PhaseSpec = z.infer<typeof phaseSchema>;
export type PhaseType = PhaseSpec['type'];
