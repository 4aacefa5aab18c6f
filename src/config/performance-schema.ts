import { z } from 'zod';

/**
 * The `performance.yaml` in the vitistack-performance-config ConfigMap, as the VitiStack performance
 * guide shapes it (and the lab operator reads it). Every key optional; unknown keys are kept.
 */
const duration = z.string().optional();
export const performanceConfigSchema = z.looseObject({
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
