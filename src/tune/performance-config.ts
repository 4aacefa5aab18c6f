import { type PerformanceConfig, performanceConfigSchema } from '../config/performance-schema.js';
import { parseYamlSource } from '../config/yaml-source.js';
import { zodToInputError } from '../config/zod-errors.js';
import type { EffectiveSettings } from '../report/sections/tune.js';
import { parseDuration } from '../util/duration.js';

/** `where` names the text in errors: a file, or the ConfigMap it came from. */
export function parsePerformanceYaml(text: string, where: string): PerformanceConfig {
  const source = parseYamlSource(where, text);
  const parsed = performanceConfigSchema.safeParse(source.value ?? {});
  if (!parsed.success) {
    throw zodToInputError(parsed.error, source, 'performance config', 'see the VitiStack performance guide');
  }
  return parsed.data;
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
