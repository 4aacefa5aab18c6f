import type { RunResult } from '../report/run-result.js';
import type { Shard } from '../scenario/shard.js';

/** A profile's `webhook:` section: AdmissionReview load that runs alongside the creates. */
export interface WebhookPhaseSpec {
  configuration: string;
  rate: number;
  duration: number;
  warmup: number;
}

export interface WebhookPhaseOptions {
  spec: WebhookPhaseSpec;
  /** the profile's scenario: the webhook reviews the same objects the run creates */
  scenario: string;
  runId: string;
  shard?: Shard | undefined;
  kube: { kubeconfig?: string | undefined; context?: string | undefined; env: NodeJS.ProcessEnv };
  onWarning?: ((message: string) => void) | undefined;
}

/** What the perf run keeps of the webhook bench: its section, phases and methods. */
export type WebhookPhaseResult = Required<Pick<RunResult, 'webhook' | 'phases' | 'methods'>>;

/**
 * Prepare the webhook load before any object is created (a missing configuration or a webhook the
 * objects do not match is bad input then, not after the load), and return the function that runs it.
 */
export async function prepareWebhookPhase(
  options: WebhookPhaseOptions,
): Promise<(signal: AbortSignal) => Promise<WebhookPhaseResult>> {
  const { DEFAULT_OPERATIONS } = await import('../webhook/admission-review.js');
  const { prepareWebhookBench } = await import('../webhook/prepare.js');
  const { runWebhookBench } = await import('../webhook/engine.js');
  const { DEFAULT_MAX_CONNECTIONS } = await import('../webhook/phase.js');
  const prepared = await prepareWebhookBench({
    webhook: options.spec.configuration,
    insecure: false,
    load: { engine: 'open', rate: options.spec.rate, maxConnections: DEFAULT_MAX_CONNECTIONS },
    limit: { durationMs: options.spec.duration },
    warmupMs: options.spec.warmup,
    scenario: options.scenario,
    crdFiles: [],
    operations: DEFAULT_OPERATIONS,
    dryRunShare: 0,
    runId: options.runId,
    shard: options.shard,
    kube: options.kube,
  });
  for (const warning of prepared.warnings) options.onWarning?.(warning);
  return async (signal) => {
    const run = await runWebhookBench({ ...prepared.options, signal });
    for (const warning of run.warnings) options.onWarning?.(warning);
    const { webhook, phases, methods } = run.result;
    return { webhook, phases, methods };
  };
}
