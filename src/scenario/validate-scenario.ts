import type { PlannedSet, ScenarioPlan } from './expand.js';
import { type Violation, validateObject } from './validate-object.js';

export interface ObjectViolation extends Violation {
  /** index in the generated stream (namespaces not counted) */
  objectIndex: number;
  set: string;
  name: string;
  namespace?: string;
}

export interface SetValidation {
  set: string;
  kind: string;
  apiVersion: string;
  scope: string;
  count: number;
  /** where the schema came from, or why there is none */
  schema: string;
  errors: number;
  warnings: number;
}

export interface ScenarioValidation {
  scenario: string;
  objects: number;
  sets: SetValidation[];
  errors: number;
  warnings: number;
  /** the first violations (at most `limit`), in stream order */
  violations: ObjectViolation[];
  truncated: boolean;
}

/** Validate every object of a plan against its kind's CRD schema; returns data, prints nothing. */
export function validatePlan(
  plan: ScenarioPlan,
  origins: Map<PlannedSet, string>,
  limit = 200,
): ScenarioValidation {
  const result: ScenarioValidation = {
    scenario: plan.name,
    objects: plan.totalObjects,
    sets: [],
    errors: 0,
    warnings: 0,
    violations: [],
    truncated: false,
  };
  const bySet = new Map<PlannedSet, SetValidation>();
  for (const set of plan.sets) {
    const entry: SetValidation = {
      set: set.spec.name,
      kind: set.spec.kind,
      apiVersion: set.spec.apiVersion,
      scope: set.scope,
      count: set.count,
      schema: origins.get(set) ?? 'none (no CRD known: only metadata checked)',
      errors: 0,
      warnings: 0,
    };
    bySet.set(set, entry);
    result.sets.push(entry);
  }
  let objectIndex = 0;
  for (const { set, object } of plan.objects()) {
    const violations = validateObject(object as unknown as Record<string, unknown>, set.schema, set.scope);
    const entry = bySet.get(set) as SetValidation;
    for (const violation of violations) {
      if (violation.severity === 'error') {
        entry.errors++;
        result.errors++;
      } else {
        entry.warnings++;
        result.warnings++;
      }
      if (result.violations.length < limit) {
        result.violations.push({
          ...violation,
          objectIndex,
          set: set.spec.name,
          name: object.metadata.name,
          ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
        });
      } else {
        result.truncated = true;
      }
    }
    objectIndex++;
  }
  return result;
}
