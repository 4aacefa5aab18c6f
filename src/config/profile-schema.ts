import { z } from 'zod';
import { durationSchema } from './duration-schema.js';
import { phaseSchema, webhookLoadFields } from './phase-schema.js';

/** A perf profile: what `vitictl perf run` does, in which phases, and what must hold (gates). */
const loadSchema = z
  .strictObject({
    qps: z.number().positive().optional().describe('open loop: creates per second, evenly spaced'),
    burst: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('open loop: catch-up allowance (default rate/10: 100 ms of catch-up)'),
    concurrency: z.number().int().min(1).optional().describe('closed loop: creates in flight'),
  })
  .refine((load) => (load.qps === undefined) !== (load.concurrency === undefined), {
    message: 'set exactly one of qps and concurrency',
  });

export const profileSchema = z.strictObject({
  apiVersion: z.literal('vitictl.io/v1alpha1'),
  kind: z.literal('Profile'),
  metadata: z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
    description: z.string().default(''),
  }),
  spec: z.strictObject({
    type: z
      .enum(['smoke', 'load', 'stress', 'soak', 'custom'])
      .default('custom')
      .describe('what kind of run this is'),
    scenario: z.string().min(1).describe('a built-in scenario name, or a path relative to the profile'),
    count: z.number().int().min(1).optional().describe('objects per run (per step for stress)'),
    load: loadSchema.describe('how fast objects are created'),
    timeout: durationSchema.optional().describe('per-object readiness timeout'),
    stress: z
      .strictObject({
        rates: z.array(z.number().positive()).min(2).describe('open-loop rates to step through, ascending'),
        stepSeconds: z
          .number()
          .positive()
          .default(10)
          .describe('seconds of load per step (objects = rate × stepSeconds)'),
        slo: z
          .string()
          .default('ready.p99 < 10s')
          .describe('the gate a step must meet; the knee is the highest rate that met it'),
      })
      .optional(),
    observe: z
      .strictObject({
        metrics: z
          .string()
          .default('auto')
          .describe('the controller metrics target; auto = the lab operator with --lab; none = off'),
        interval: durationSchema.default(2000),
      })
      .default({ metrics: 'auto', interval: 2000 }),
    pprof: z
      .strictObject({
        target: z.string().default('auto').describe('pprof base URL; auto = the lab operator with --lab'),
        profiles: z
          .array(z.enum(['cpu', 'heap', 'allocs', 'goroutine', 'mutex', 'block']))
          .default(['cpu', 'heap']),
        seconds: z.number().int().min(1).max(60).default(5),
      })
      .optional()
      .describe('capture profiles at peak load'),
    webhook: z
      .strictObject(webhookLoadFields)
      .optional()
      .describe('AdmissionReview load alongside the creates; its figures feed the webhook.* gates'),
    phases: z
      .array(phaseSchema)
      .min(1)
      .max(32)
      .optional()
      .describe(
        'the lifecycle, in order: create first (count and load above), then update, delete, churn, read, webhook',
      ),
    tune: z.boolean().default(true).describe('recommend settings from the run'),
    gates: z
      .array(z.string())
      .default([])
      .describe('e.g. "ready.p99 < 30s", "create.errorRate < 1%", "achievedRate >= 0.95 * requestedRate"'),
  }),
});
export type ProfileSpec = z.infer<typeof profileSchema>;
