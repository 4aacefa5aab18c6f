import type { ReviewFactory } from './admission-review.js';
import type { WebhookType } from './check-response.js';
import type { Tally } from './tally.js';
import type { WebhookTarget } from './target.js';

/** Open loop: the most connections the pool opens unless told otherwise. */
export const DEFAULT_MAX_CONNECTIONS = 256;

/** What both engines share: where to send, what, and how long a call may take. */
export interface EngineTarget {
  target: WebhookTarget;
  type: WebhookType;
  timeoutSeconds: number;
  factory: ReviewFactory;
}

/** One measured (or warm-up) phase: by time or by count. */
export type PhaseLimit = { durationMs: number } | { requests: number };

export interface EngineProgress {
  sent: number;
  completed: number;
  inFlight: number;
  elapsedSeconds: number;
}

/** What a phase measured, before it becomes a result. Times in ms on the monotonic clock. */
export interface PhaseRun {
  tally: Tally;
  sent: number;
  /** sent but never answered nor failed (cut off at the end of the drain) */
  unanswered: number;
  /** first start → last start (open loop: the schedule), for the achieved rate */
  startSpanMs: number;
  /** first start → last answer, for throughput */
  spanMs: number;
  interrupted: boolean;
  cpu: { userMs: number; systemMs: number };
}

export function cpuSince(start: NodeJS.CpuUsage): { userMs: number; systemMs: number } {
  const used = process.cpuUsage(start);
  return { userMs: used.user / 1000, systemMs: used.system / 1000 };
}

/** Progress once a second while a phase runs; returns the stop function. */
export function progressTicker(
  onProgress: ((progress: EngineProgress) => void) | undefined,
  snapshot: () => Omit<EngineProgress, 'elapsedSeconds'>,
): () => void {
  if (!onProgress) return () => {};
  const t0 = performance.now();
  const timer = setInterval(
    () => onProgress({ ...snapshot(), elapsedSeconds: (performance.now() - t0) / 1000 }),
    1000,
  );
  timer.unref();
  return () => clearInterval(timer);
}
