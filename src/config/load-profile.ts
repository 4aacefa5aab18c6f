import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { usageError } from '../errors.js';
import { type Gate, parseGate } from '../perf/gates/grammar.js';
import { packagePath } from '../util/package-root.js';
import { type ProfileSpec, profileSchema } from './profile-schema.js';
import { parseYamlSource, readTextFile } from './yaml-source.js';
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
}

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
  return {
    file,
    name: parsed.data.metadata.name,
    description: parsed.data.metadata.description,
    spec: parsed.data.spec,
    scenario: resolved,
    gates: gates.map((gate, index) => parseGate(gate, source.locate(['spec', 'gates', index]))),
    slo: stress ? parseGate(stress.slo, source.locate(['spec', 'stress', 'slo'])) : undefined,
  };
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
