import { z } from 'zod';
import { parseYamlSource } from '../config/yaml-source.js';
import { zodToInputError } from '../config/zod-errors.js';
import { parseDuration } from '../util/duration.js';

/**
 * The `performance.yaml` in the vitistack-performance-config ConfigMap, as the VitiStack performance
 * guide shapes it (and the lab operator reads it). Every key optional; unknown keys are kept.
 */
const duration = z.string().optional();
const performanceConfigSchema = z.looseObject({
  controller: z
    .looseObject({
      workers: z.number().int().optional(),
      batchSize: z.number().int().optional(),
      batchTimeout: duration,
      maxConcurrentReconciles: z.number().int().optional(),
    })
    .optional(),
  caching: z
    .looseObject({ enabled: z.boolean().optional(), ttl: duration, maxSize: z.number().int().optional() })
    .optional(),
  rateLimit: z.looseObject({ qps: z.number().optional(), burst: z.number().int().optional() }).optional(),
  reconciliation: z
    .looseObject({ requeueDelay: duration, requeueDelayOnError: duration, timeout: duration })
    .optional(),
  resourceOptimization: z
    .looseObject({
      cpu: z.looseObject({ request: z.string().optional(), limit: z.string().optional() }).optional(),
      memory: z.looseObject({ request: z.string().optional(), limit: z.string().optional() }).optional(),
    })
    .optional(),
  gc: z.looseObject({ gogc: z.number().int().optional(), gomemlimit: z.string().optional() }).optional(),
  monitoring: z
    .looseObject({ metricsInterval: duration, enableProfiling: z.boolean().optional() })
    .optional(),
});
export type PerformanceConfig = z.infer<typeof performanceConfigSchema>;

/** `where` names the text in errors: a file, or the ConfigMap it came from. */
export function parsePerformanceYaml(text: string, where: string): PerformanceConfig {
  const source = parseYamlSource(where, text);
  const parsed = performanceConfigSchema.safeParse(source.value ?? {});
  if (!parsed.success) {
    throw zodToInputError(parsed.error, source, 'performance config', 'see the VitiStack performance guide');
  }
  return parsed.data;
}

/** What the controller effectively runs with (controller-runtime's defaults where unset). */
export interface EffectiveSettings {
  workers: number;
  /** ≤ 0: no client-side limit (controller-runtime ≥ 0.21 default) */
  qps: number;
  burst: number;
  batchSize: number;
  requeueDelayMs: number;
  timeoutMs: number;
}

export function effective(config: PerformanceConfig | undefined): EffectiveSettings {
  const qps = config?.rateLimit?.qps ?? -1;
  return {
    workers: config?.controller?.maxConcurrentReconciles ?? config?.controller?.workers ?? 1,
    qps,
    burst: config?.rateLimit?.burst ?? (qps > 0 ? Math.ceil(qps) : 0),
    batchSize: config?.controller?.batchSize ?? 1,
    requeueDelayMs: parseDuration(config?.reconciliation?.requeueDelay ?? '0s') ?? 0,
    timeoutMs: parseDuration(config?.reconciliation?.timeout ?? '0s') ?? 0,
  };
}

/** "512Mi", "1Gi", "300M" → bytes; undefined when unset or unreadable. */
export function parseQuantityBytes(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(text.trim());
  if (!match) return undefined;
  const units: Record<string, number> = {
    '': 1,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (units[match[2] ?? ''] as number);
}

/** "500m", "2" → cores. */
export function parseCpuCores(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(text.trim());
  if (!match) return undefined;
  return match[2] ? Number(match[1]) / 1000 : Number(match[1]);
}
