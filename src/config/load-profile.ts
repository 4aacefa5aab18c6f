import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { inputError, usageError } from '../errors.js';
import { type Gate, parseGate } from '../perf/gates/grammar.js';
import { packagePath } from '../util/package-root.js';
import type { PhaseSpec } from './phase-schema.js';
import { type ProfileSpec, profileSchema } from './profile-schema.js';
import { parseYamlSource, readTextFile, type YamlSource } from './yaml-source.js';
import { zodToInputError } from './zod-errors.js';

export interface LoadedProfile {
  file: string;
  name: string;
  description: string;
  spec: ProfileSpec['spec'];
  /** the scenario reference resolved against the profile's directory */
  scenario: string;
  /** spec.gates, parsed: a bad gate is an error at load time, before any load runs */
  gates: Gate[];
  /** a stress profile's spec.stress.slo, parsed */
  slo: Gate | undefined;
  /** spec.phases with every name filled in; a profile without phases is one create phase */
  phases: NamedPhase[];
}

export type NamedPhase = PhaseSpec & { name: string };

/** A path, or a built-in profile name (`smoke` → profiles/smoke.yaml). */
export async function loadProfile(reference: string): Promise<LoadedProfile> {
  const builtin = packagePath('profiles', `${reference.replace(/\.ya?ml$/, '')}.yaml`);
  const file = existsSync(reference) || reference.includes('/') ? reference : builtin;
  const source = parseYamlSource(file, await readTextFile(file, 'profile'));
  const parsed = profileSchema.safeParse(source.value);
  if (!parsed.success)
    throw zodToInputError(parsed.error, source, 'profile', 'see profiles/*.yaml for examples');
  const scenario = parsed.data.spec.scenario;
  const relative = join(dirname(file), scenario);
  const resolved =
    isAbsolute(scenario) || !scenario.includes('/') || !existsSync(relative) ? scenario : relative;
  const { gates, stress } = parsed.data.spec;
  const phases = checkPhases(parsed.data.spec, source);
  return {
    file,
    name: parsed.data.metadata.name,
    description: parsed.data.metadata.description,
    spec: parsed.data.spec,
    scenario: resolved,
    gates: [
      ...gates.map((gate, index) => parseGate(gate, source.locate(['spec', 'gates', index]))),
      ...phases.flatMap((phase, p) =>
        phase.gates.map((gate, index) =>
          parseGate(gate, source.locate(['spec', 'phases', p, 'gates', index])),
        ),
      ),
    ],
    slo: stress ? parseGate(stress.slo, source.locate(['spec', 'stress', 'slo'])) : undefined,
    phases,
  };
}

/**
 * The rules of a lifecycle: the objects are created first (the other phases work on them), names are
 * unique, and `with:` names an earlier phase that itself runs on its own.
 */
function checkPhases(spec: ProfileSpec['spec'], source: YamlSource): NamedPhase[] {
  const at = (index: number, ...path: string[]) => source.locate(['spec', 'phases', index, ...path]);
  if (!spec.phases) {
    const create: NamedPhase = { type: 'create', name: 'create', gates: [] };
    if (!spec.webhook) return [create];
    if (spec.stress)
      throw inputError('webhook load runs alongside one create phase, not a stress ladder', {
        location: source.locate(['spec', 'webhook'], 'key'),
        hint: 'run the webhook load in its own profile (type: load)',
      });
    return [create, { type: 'webhook', name: 'webhook', with: 'create', gates: [], ...spec.webhook }];
  }
  if (spec.webhook)
    throw inputError('spec.webhook and spec.phases both set', {
      location: source.locate(['spec', 'webhook'], 'key'),
      hint: 'with phases, the webhook load is a phase: {type: webhook, with: create, …}',
    });
  if (spec.stress)
    throw inputError('a stress profile steps through rates of creates: it has no phases', {
      location: source.locate(['spec', 'phases'], 'key'),
      hint: 'drive the lifecycle from a load or custom profile',
    });
  const first = spec.phases[0]!;
  if (first.type !== 'create' || first.with !== undefined)
    throw inputError('the first phase must be create: the other phases work on the objects it created', {
      location: at(0),
      hint: 'start spec.phases with {type: create} (count and load come from spec.count and spec.load)',
    });
  const named: NamedPhase[] = [];
  for (const [index, phase] of spec.phases.entries()) {
    const name = phase.name ?? phase.type;
    if (named.some((earlier) => earlier.name === name))
      throw inputError(`two phases are named "${name}"`, {
        location: at(index),
        hint: 'give one of them a name: {name: update-2, …}',
      });
    if (phase.type === 'create' && index > 0)
      throw inputError('a run has one create phase, the first', {
        location: at(index),
        hint: 'use churn to delete and create objects again',
      });
    if (phase.with !== undefined) {
      const partner = named.find((earlier) => earlier.name === phase.with);
      if (!partner || partner.with !== undefined)
        throw inputError(`"with: ${phase.with}" names no earlier phase that runs on its own`, {
          location: at(index, 'with'),
          hint: `one of: ${named
            .filter((earlier) => earlier.with === undefined)
            .map((earlier) => earlier.name)
            .join(', ')}`,
        });
    }
    if (phase.with === 'create' && phase.type !== 'read' && phase.type !== 'webhook')
      throw inputError(
        `a ${phase.type} phase cannot run alongside the creates: it works on objects they made`,
        {
          location: at(index, 'with'),
          hint: 'only read and webhook load run alongside create; run it after (drop with:)',
        },
      );
    if (phase.type === 'webhook' && named.some((earlier) => earlier.type === 'webhook'))
      throw inputError("a run has at most one webhook phase (its figures are the run's webhook section)", {
        location: at(index),
        hint: 'run a longer webhook phase alongside several others by giving it a duration',
      });
    if (phase.type === 'read' && phase.duration === undefined && phase.with === undefined)
      throw inputError('a read phase on its own needs a duration', {
        location: at(index),
        hint: 'set duration: 30s, or run it alongside another phase (with: …) until that one ends',
      });
    named.push({ ...phase, name });
  }
  return named;
}

/** Shards run a profile's load in parts; a stress profile's knee search is one process's, step by step. */
export function assertShardable(profile: LoadedProfile): void {
  if (profile.spec.type === 'stress') {
    throw usageError(
      'a stress profile cannot be sharded: it searches for the knee step by step, from one process',
      'shard a load or soak profile; run stress from one process',
    );
  }
}
