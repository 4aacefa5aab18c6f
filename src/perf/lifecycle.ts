import type { NamedPhase } from '../config/load-profile.js';
import { inputError } from '../errors.js';
import type { ApiResource } from '../kube/discovery.js';
import { compileReadiness } from '../kube/readiness.js';
import { KubeRest } from '../kube/rest.js';
import type { ApplyLifecycle, LifecycleContext } from '../load/apply-run.js';
import { defaultBurst } from '../load/rate-limiter.js';
import type { RunResult } from '../report/run-result.js';
import type { PlannedSet, ScenarioPlan } from '../scenario/expand.js';
import { rateShare, shardLabelValue } from '../scenario/shard.js';
import { type FieldPath, parseFieldPath } from '../util/field-path.js';
import type { WebhookPhaseResult } from './webhook-phase.js';

/**
 * A profile's phases after the creates, run as one lifecycle inside the apply: in order, each with
 * the phases that run alongside it (`with:`), on the objects the run created. What each measured
 * becomes its entry in the RunResult's phases.
 */

type PhaseEntry = RunResult['phases'][number];
type ObjectPhase = Extract<NamedPhase, { type: 'update' | 'delete' | 'churn' | 'read' }>;

export interface LifecycleOptions {
  phases: NamedPhase[];
  /** the (shard's) plan the creates came from: its sets, and the objects churn creates again */
  plan: ScenarioPlan;
  /** the profile, for messages that say where */
  profile: { name: string; file: string };
  /** the webhook phase, prepared before any object was created */
  webhook?: ((signal: AbortSignal) => Promise<WebhookPhaseResult>) | undefined;
  signal: AbortSignal;
  onPhase?: ((name: string) => void) | undefined;
}

interface Step {
  primary: NamedPhase;
  companions: NamedPhase[];
}

/** Phases grouped into steps: each phase that runs on its own, with those that run alongside it. */
export function lifecycleSteps(phases: NamedPhase[]): Step[] {
  return phases
    .filter((phase) => phase.with === undefined)
    .map((primary) => ({
      primary,
      companions: phases.filter((phase) => phase.with === primary.name),
    }));
}

/** The set a phase works on: the one it names, or the scenario's only set with a readiness rule. */
function phaseSet(phase: ObjectPhase, plan: ScenarioPlan, where: string): PlannedSet {
  const ready = plan.sets.filter((set) => set.spec.ready && (!phase.set || set.spec.name === phase.set));
  if (ready.length === 1) return ready[0]!;
  throw inputError(
    ready.length === 0
      ? `${where}: no set${phase.set ? ` named "${phase.set}"` : ''} with a readiness rule in scenario ${plan.name}`
      : `${where}: scenario ${plan.name} has ${ready.length} sets with readiness rules`,
    { hint: `name one with set: (${plan.sets.map((set) => set.spec.name).join(', ')})` },
  );
}

export class Lifecycle {
  /** what each phase measured, in the order they ended */
  readonly entries: PhaseEntry[] = [];
  webhook: WebhookPhaseResult | undefined;
  private readonly steps: Step[];
  private readonly sets = new Map<string, PlannedSet>();
  private readonly generationPaths = new Map<string, FieldPath>();

  /** Checks every phase against the scenario before anything is created: bad input is exit 2 then. */
  constructor(private readonly options: LifecycleOptions) {
    this.steps = lifecycleSteps(options.phases);
    for (const [index, phase] of options.phases.entries()) {
      const where = `profile ${options.profile.name}: spec.phases[${index}] (${phase.name})`;
      if (phase.type === 'webhook' && !options.webhook) throw new Error('the webhook phase was not prepared');
      if (phase.type === 'create' || phase.type === 'webhook') continue;
      this.sets.set(phase.name, phaseSet(phase, options.plan, where));
      if (phase.type !== 'update') continue;
      try {
        this.generationPaths.set(phase.name, parseFieldPath(phase.observedGeneration));
      } catch (error) {
        throw inputError(`${where}: observedGeneration: ${(error as Error).message}`, {
          hint: ".status.observedGeneration, or .metadata.annotations['example.com/observed-generation']",
        });
      }
    }
  }

  hooks(): ApplyLifecycle {
    const [first, ...later] = this.steps;
    return {
      alongside: (context, createsEnded) =>
        this.runAll(first?.companions ?? [], context, createsEnded).then(() => {}),
      after: async (context) => {
        for (const step of later) {
          if (this.options.signal.aborted) return;
          const primary = this.run(step.primary, context, undefined, this.options.signal);
          await Promise.all([primary, this.runAll(step.companions, context, primary)]);
        }
      },
    };
  }

  /** Companions of `partner`: stopped (their results kept) as soon as it fails, or the run is stopped. */
  private async runAll(phases: NamedPhase[], context: LifecycleContext, partner: Promise<unknown>) {
    const stop = new AbortController();
    const abort = () => stop.abort();
    const { signal } = this.options;
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    partner.catch(abort);
    try {
      return await Promise.all(phases.map((phase) => this.run(phase, context, partner, stop.signal)));
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** One phase, recorded with its wall times; `partner` ends a read that has no duration of its own. */
  private async run(
    phase: NamedPhase,
    context: LifecycleContext,
    partner: Promise<unknown> | undefined,
    signal: AbortSignal,
  ) {
    this.options.onPhase?.(phase.name);
    const start = new Date();
    const measured: Pick<PhaseEntry, 'load' | 'read'> = {};
    if (phase.type === 'webhook') {
      this.webhook = await this.options.webhook!(signal);
    } else if (phase.type !== 'create') {
      const rest = await KubeRest.create(context.connection, { connections: 64 });
      try {
        Object.assign(measured, await this.measure(phase, rest, context, partner, signal));
      } finally {
        await rest.close();
      }
    }
    const end = new Date();
    this.entries.push({
      name: phase.name,
      start: start.toISOString(),
      end: end.toISOString(),
      seconds: (end.getTime() - start.getTime()) / 1000,
      ...measured,
    });
  }

  private async measure(
    phase: ObjectPhase,
    rest: KubeRest,
    context: LifecycleContext,
    partner: Promise<unknown> | undefined,
    signal: AbortSignal,
  ): Promise<Pick<PhaseEntry, 'load' | 'read'>> {
    const set = this.sets.get(phase.name)!;
    const resource = this.resourceOf(set, context);
    const { plan } = this.options;
    const shard = plan.shard ? shardLabelValue(plan.shard) : undefined;
    const common = { rest, runId: plan.runId, shard, resource, signal };
    // the phase's rate is the whole run's: a shard sends its part, as it does for the creates
    const rate = rateShare(phase.qps, plan);
    if (phase.type === 'read') {
      const { runRead } = await import('../load/phases/read.js');
      return {
        read: await runRead({
          ...common,
          rate,
          burst: defaultBurst(rate),
          durationMs: phase.duration,
          until: phase.duration === undefined ? partner : undefined,
          pageSize: phase.pageSize,
          mix: phase.mix,
          timeoutMs: phase.timeout,
        }),
      };
    }
    const objects = {
      ...common,
      check: compileReadiness(set.spec.ready!),
      observedGenerationPath:
        this.generationPaths.get(phase.name) ?? parseFieldPath('.status.observedGeneration'),
      share: phase.share,
      rate,
      burst: phase.burst ?? defaultBurst(rate),
      timeoutMs: phase.timeout,
    };
    if (phase.type === 'churn') {
      const { runChurn } = await import('../load/phases/churn.js');
      return {
        load: await runChurn({
          ...objects,
          periodMs: phase.period,
          cycles: phase.cycles,
          durationMs: phase.duration,
        }),
      };
    }
    const { runPhase } = await import('../load/phases/run-phase.js');
    if (phase.type === 'update')
      return {
        load: await runPhase({
          ...objects,
          verb: 'update',
          patch: { type: phase.patchType, body: phase.patch },
        }),
      };
    return { load: await runPhase({ ...objects, verb: 'delete' }) };
  }

  private resourceOf(set: PlannedSet, context: LifecycleContext): ApiResource {
    const resource = context.resources.get(`${set.spec.apiVersion}/${set.spec.kind}`);
    if (!resource) throw new Error(`no resource discovered for ${set.spec.kind}`);
    return resource;
  }
}
