import { z } from 'zod';
import { durationSchema } from './duration-schema.js';

/**
 * The scenario file format (apiVersion vitictl.io/v1alpha1, kind Scenario). Strict objects: an unknown
 * key is an error, so a typo never silently changes a load test.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const jsonValue: z.ZodType<unknown> = z.unknown();

const weightedChoice = z.strictObject({
  value: jsonValue.describe('the value chosen'),
  weight: z.number().positive().describe('relative weight (any positive number)'),
});

/** One random or derived variable, evaluated per object from the object's own seeded stream. */
const variableSchema = z
  .strictObject({
    choice: z
      .array(z.union([weightedChoice, z.string(), z.number(), z.boolean()]))
      .min(1)
      .optional()
      .describe('pick one value; entries are plain values (equal weight) or {value, weight}'),
    int: z
      .strictObject({
        min: z.number().int(),
        max: z.number().int(),
        step: z.number().int().positive().default(1),
      })
      .refine((range) => range.max >= range.min, { message: 'max must be >= min' })
      .optional()
      .describe('a uniform integer in [min, max] on a grid of step'),
    ref: z
      .string()
      .optional()
      .describe("the name of an object of another set, round-robin (that set's objects)"),
    uuid: z.literal(true).optional().describe('a seeded UUID (version 4 layout)'),
    hex: z.number().int().min(1).max(64).optional().describe('a seeded lowercase hex string of this length'),
    value: jsonValue.optional().describe('a constant'),
  })
  .superRefine((variable, ctx) => {
    const set = Object.keys(variable).filter(
      (key) => (variable as Record<string, unknown>)[key] !== undefined,
    );
    if (set.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a variable needs exactly one of choice, int, ref, uuid, hex, value (got ${set.length === 0 ? 'none' : set.join(', ')})`,
      });
    }
  });
export type VariableSpec = z.infer<typeof variableSchema>;

const conditionRule = z.strictObject({
  type: z.string().min(1).describe('condition type, e.g. Ready'),
  status: z.enum(['True', 'False', 'Unknown']).default('True').describe('condition status to wait for'),
});

const fieldRule = z.strictObject({
  path: z
    .string()
    .min(1)
    .describe('a field path like .status.phase (kubectl jsonpath braces {.status.phase} accepted)'),
  equals: z.union([z.string(), z.number(), z.boolean()]).describe('the value it must equal'),
});

const matchRule = z
  .strictObject({ condition: conditionRule.optional(), field: fieldRule.optional() })
  .refine((rule) => rule.condition !== undefined || rule.field !== undefined, {
    message: 'a rule needs a condition, a field, or both',
  });

const readinessSchema = z
  .strictObject({
    condition: conditionRule.optional().describe('like kubectl wait --for=condition=Ready'),
    field: fieldRule.optional().describe("like kubectl wait --for=jsonpath='{.status.phase}'=Running"),
    failed: matchRule.optional().describe('what marks the object as failed (e.g. .status.phase = Failed)'),
    failureMessagePath: z
      .string()
      .optional()
      .describe('field path holding the failure reason reported for failed objects'),
  })
  .refine((rule) => rule.condition !== undefined || rule.field !== undefined, {
    message: 'readiness needs a condition, a field, or both',
  });
export type ReadinessSpec = z.infer<typeof readinessSchema>;

const objectSetSchema = z.strictObject({
  name: z
    .string()
    .regex(DNS_LABEL, 'a set name is a DNS label: lowercase letters, digits and "-"')
    .max(40)
    .describe('the set name; objects are labelled vitictl.io/set=<name>'),
  apiVersion: z.string().min(1).describe('e.g. vitistack.io/v1alpha1'),
  kind: z.string().min(1).describe('e.g. Machine'),
  scope: z
    .enum(['Namespaced', 'Cluster'])
    .optional()
    .describe('only needed when no CRD for the kind is known (built-in or --crd)'),
  count: z.number().int().min(0).describe('how many objects'),
  fixedCount: z
    .boolean()
    .default(false)
    .describe('keep this count when --count scales the scenario (supporting objects like providers)'),
  nameTemplate: z.string().min(1).default('{{set}}-{{index}}').describe('object name template'),
  dependsOn: z.array(z.string()).default([]).describe('sets created (and ready) before this one'),
  labels: z.record(z.string(), z.string()).default({}).describe('extra labels (values are templates)'),
  annotations: z.record(z.string(), z.string()).default({}).describe('annotations (values are templates)'),
  vars: z.record(z.string(), variableSchema).default({}).describe('per-object variables for the template'),
  template: z
    .record(z.string(), jsonValue)
    .optional()
    .describe('object body (spec …) with {{variables}}; omitted: generated from the CRD schema'),
  ready: readinessSchema.optional().describe('when an object counts as ready; omitted: not waited on'),
  timeout: durationSchema.optional().describe('per-object readiness timeout (default: the scenario timeout)'),
});
export type ObjectSetSpec = z.infer<typeof objectSetSchema>;

const namespacesSchema = z.strictObject({
  count: z.number().int().min(1).default(1).describe('how many namespaces namespaced objects spread over'),
  nameTemplate: z
    .string()
    .min(1)
    .default('vitictl-{{runId}}-{{nsIndex}}')
    .describe('namespace name template ({{runId}}, {{nsIndex}}, {{scenario}})'),
  create: z.boolean().default(true).describe('create (and later delete) them; false: reuse existing ones'),
});

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('vitictl.io/v1alpha1'),
  kind: z.literal('Scenario'),
  metadata: z.strictObject({
    name: z.string().regex(DNS_LABEL, 'a scenario name is a DNS label').describe('scenario name'),
    description: z.string().default('').describe('one line shown by `vitictl scenario list`'),
  }),
  spec: z.strictObject({
    seed: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('seed for every random choice; same seed, same objects'),
    timeout: durationSchema.default(300_000).describe('per-object readiness timeout'),
    namespaces: namespacesSchema.default({
      count: 1,
      nameTemplate: 'vitictl-{{runId}}-{{nsIndex}}',
      create: true,
    }),
    objects: z.array(objectSetSchema).min(1).describe('object sets, created in dependency order'),
  }),
});
export type ScenarioSpec = z.infer<typeof scenarioSchema>;
