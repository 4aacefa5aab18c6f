import type { ReadinessSpec } from '../config/scenario-schema.js';
import { type FieldPath, parseFieldPath, valueAt } from '../util/field-path.js';
import { isPlainObject } from '../util/plain-object.js';

interface Condition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  lastTransitionTime?: unknown;
}

function findCondition(object: unknown, type: string): Condition | undefined {
  const conditions = valueAt(object, ['status', 'conditions']);
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find(
    (condition): condition is Condition => isPlainObject(condition) && condition.type === type,
  );
}

interface CompiledMatch {
  condition?: { type: string; status: string };
  field?: { path: FieldPath; equals: string };
}

function compileMatch(rule: {
  condition?: { type: string; status: string } | undefined;
  field?: { path: string; equals: string | number | boolean } | undefined;
}): CompiledMatch {
  return {
    ...(rule.condition ? { condition: rule.condition } : {}),
    ...(rule.field
      ? { field: { path: parseFieldPath(rule.field.path), equals: String(rule.field.equals) } }
      : {}),
  };
}

function matches(object: unknown, match: CompiledMatch): { ok: boolean; condition?: Condition } {
  let condition: Condition | undefined;
  if (match.condition) {
    condition = findCondition(object, match.condition.type);
    if (!condition || condition.status !== match.condition.status) return { ok: false };
  }
  if (match.field) {
    const value = valueAt(object, match.field.path);
    if (value === undefined || value === null || String(value) !== match.field.equals) return { ok: false };
  }
  return condition ? { ok: true, condition } : { ok: true };
}

export interface Verdict {
  state: 'ready' | 'failed' | 'pending';
  /** failed: the reason (failureMessagePath, the condition's message, or the rule) */
  reason?: string;
  /** server clock: the condition's lastTransitionTime (second precision), when a condition decided */
  serverTime?: string;
}

export type ReadinessCheck = (object: unknown) => Verdict;

/** Compile a scenario readiness rule into a check over observed objects, as `kubectl wait` would judge. */
export function compileReadiness(rule: ReadinessSpec): ReadinessCheck {
  const ready = compileMatch(rule);
  const failed = rule.failed ? compileMatch(rule.failed) : undefined;
  const messagePath = rule.failureMessagePath ? parseFieldPath(rule.failureMessagePath) : undefined;
  return (object) => {
    if (failed) {
      const verdict = matches(object, failed);
      if (verdict.ok) {
        const message = messagePath ? valueAt(object, messagePath) : undefined;
        const reason =
          (typeof message === 'string' && message) ||
          (typeof verdict.condition?.message === 'string' && verdict.condition.message) ||
          (rule.failed?.field
            ? `${rule.failed.field.path} = ${String(rule.failed.field.equals)}`
            : `condition ${rule.failed?.condition?.type}`);
        return { state: 'failed', reason: String(reason) };
      }
    }
    const verdict = matches(object, ready);
    if (!verdict.ok) return { state: 'pending' };
    const time = verdict.condition?.lastTransitionTime;
    return typeof time === 'string' ? { state: 'ready', serverTime: time } : { state: 'ready' };
  };
}
