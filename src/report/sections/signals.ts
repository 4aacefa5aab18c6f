import { z } from 'zod';

/**
 * Controller signals over a window of scrapes: per controller λ, X, S̄, W, ρ, queue wait and depth
 * (with a Little's-law check), error and requeue shares; per process CPU, memory, GC and goroutine
 * trend; and flags that say what is missing or imprecise, with the fix. A figure the scrapes could
 * not give is null (JSON has no NaN).
 */

/** a figure that may be unmeasurable (no samples in the window) */
const measured = z.number().nullable();

export const controllerSignalsSchema = z.object({
  controller: z.string(),
  /** λ: workqueue adds per second */
  arrivalRate: z.number(),
  /** X: reconciles per second */
  throughput: z.number(),
  /** S̄: mean reconcile time, s (Δsum/Δcount of controller_runtime_reconcile_time_seconds) */
  serviceMean: z.number(),
  /** p95 of reconcile time from bucket deltas, s; null when no reconcile ended in the window */
  serviceP95: measured,
  /** W: max concurrent reconciles */
  workers: measured,
  activeWorkersMean: measured,
  /** a = λ·S̄ */
  offeredLoad: z.number(),
  /** ρ = a / W */
  utilization: measured,
  /** W̄q: mean time in queue, s (Δsum/Δcount of workqueue_queue_duration_seconds) */
  queueWaitMean: z.number(),
  queueDepthMean: z.number(),
  queueDepthMax: z.number(),
  /** L̄q ≈ λ·W̄q: the relative difference between measured mean depth and λ·W̄q */
  littlesLawGap: measured,
  errorShare: z.number(),
  requeueShare: z.number(),
  reconciles: z.number(),
});
export type ControllerSignals = z.infer<typeof controllerSignalsSchema>;

export const processSignalsSchema = z.object({
  cpuCores: measured,
  /** p90 of per-interval CPU usage (cores), for the CPU request rule */
  cpuP90Cores: measured,
  rssMeanBytes: measured,
  rssP95Bytes: measured,
  rssMaxBytes: measured,
  heapLiveBytes: measured,
  /** share of CPU spent in GC (go_cpu_classes_*) */
  gcCpuShare: measured,
  goroutinesMean: measured,
  /** slope of go_goroutines per minute (Theil–Sen: the median of the slopes between scrapes) */
  goroutineSlopePerMinute: measured,
  restRequestsPerSecond: z.number(),
  restRequestsPerReconcile: measured,
  rest429PerSecond: z.number(),
  gogc: measured,
  gomemlimitBytes: measured,
  restarts: z.number().int(),
});
export type ProcessSignals = z.infer<typeof processSignalsSchema>;

export const vitistackSignalsSchema = z.object({
  cacheHitRatio: measured,
  /** mean API call time as the operator measures it (client-side rate-limit waits included), s */
  apiCallMean: measured,
  /** p10 of API call time: calls that did not wait for the limiter, s */
  apiCallP10: measured,
  apiCalls: z.number(),
  queueDepthMean: measured,
});
export type VitistackSignals = z.infer<typeof vitistackSignalsSchema>;

export const signalFlagSchema = z.object({
  signal: z.string(),
  message: z.string(),
  fix: z.string().optional(),
});
export type SignalFlag = z.infer<typeof signalFlagSchema>;

export const signalsSchema = z.object({
  target: z.string(),
  windowSeconds: z.number(),
  scrapes: z.number().int(),
  controllers: z.array(controllerSignalsSchema),
  process: processSignalsSchema,
  vitistack: vitistackSignalsSchema.nullable(),
  flags: z.array(signalFlagSchema),
});
export type Signals = z.infer<typeof signalsSchema>;

/** The controller that did the most reconciles across the run's targets, with its target's signals. */
export function busiestController(
  signalsPerTarget: ReadonlyArray<Signals | null>,
  name?: string,
): { signals: Signals; controller: ControllerSignals } | undefined {
  let best: { signals: Signals; controller: ControllerSignals } | undefined;
  for (const signals of signalsPerTarget) {
    for (const controller of signals?.controllers ?? []) {
      if (name !== undefined && controller.controller !== name) continue;
      if (!best || controller.reconciles > best.controller.reconciles)
        best = { signals: signals!, controller };
    }
  }
  return best;
}
