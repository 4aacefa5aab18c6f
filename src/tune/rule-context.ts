// What every tuning rule reads (the run's signals and the settings in force), and their shared formatting.
import type { PerformanceConfig } from '../config/performance-schema.js';
import type { ControllerSignals, ProcessSignals, VitistackSignals } from '../report/sections/signals.js';
import type { EffectiveSettings, Recommendation, Sizing } from '../report/sections/tune.js';
import type { ApiServerPressure, WebhookPressure } from './apiserver-load.js';

export interface RuleContext {
  controller: ControllerSignals;
  process: ProcessSignals;
  vitistack: VitistackSignals | null;
  current: PerformanceConfig | undefined;
  settings: EffectiveSettings;
  /** λ used for sizing: --peak-rate, else the measured arrival rate */
  lambda: number;
  /** calibrated work time per reconcile (limiter waits removed), s */
  workSeconds: number;
  /** the limiter hid the work time: workSeconds is S̄ itself, an upper bound */
  workHidden: boolean;
  beta: number;
  maxWorkers: number;
  objects: number;
  windowSeconds: number;
  apiserver: ApiServerPressure;
  /** the admission webhook the API server waited on longest, when it called any */
  webhook: WebhookPressure | null;
  sizing: Sizing | null;
  /** --objects or the cluster's live count, when given */
  objectsToSize: number | undefined;
}

export const r3 = (value: number) => Math.round(value * 1000) / 1000;
export const ms = (seconds: number) => `${Math.round(seconds * 1000)}ms`;
export const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;

export function unchanged(
  knob: string,
  current: Recommendation['current'],
  why: string,
  evidence: Recommendation['evidence'] = {},
): Recommendation {
  return { knob, current, recommended: current, changed: false, why, evidence };
}
