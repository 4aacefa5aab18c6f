import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseYamlSource, readTextFile } from '../config/yaml-source.js';
import { zodToInputError } from '../config/zod-errors.js';
import { inputError, usageError } from '../errors.js';

/**
 * VitiStack's CLI (viti) keeps its clusters as availability zones in ~/.vitistack/ctl.config.yaml
 * and tells its plugins where that file is (VITI_CONFIG) and which zone the user chose
 * (VITI_AVAILABILITYZONE, from its -z/--az flag).
 */

export const VITI_CONFIG_ENV = 'VITI_CONFIG';
export const VITI_ZONE_ENV = 'VITI_AVAILABILITYZONE';

const zoneSchema = z.object({
  name: z.string().min(1),
  kubeconfig: z.string().min(1).optional(),
  context: z.string().min(1).optional(),
});

const configSchema = z.object({
  availabilityzones: z.array(zoneSchema).default([]),
});

export interface Zone {
  name: string;
  /** absolute path; undefined: the default kubeconfig */
  kubeconfig: string | undefined;
  context: string | undefined;
}

export interface VitiConfig {
  file: string;
  zones: Zone[];
}

export function vitiConfigPath(env: NodeJS.ProcessEnv): string {
  return env[VITI_CONFIG_ENV] || join(env.HOME || homedir(), '.vitistack', 'ctl.config.yaml');
}

function expandPath(path: string, configFile: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
  return isAbsolute(expanded) ? expanded : resolve(dirname(configFile), expanded);
}

/** Read viti's config: exit 2 at file:line when it does not have the shape viti writes. */
export async function loadVitiConfig(env: NodeJS.ProcessEnv): Promise<VitiConfig> {
  const file = vitiConfigPath(env);
  const source = parseYamlSource(file, await readTextFile(file, 'viti config'));
  const parsed = configSchema.safeParse(source.value ?? {});
  if (!parsed.success) {
    throw zodToInputError(
      parsed.error,
      source,
      'viti config',
      'availabilityzones: [{name, kubeconfig, context}], as viti writes it',
    );
  }
  const seen = new Set<string>();
  parsed.data.availabilityzones.forEach((zone, index) => {
    if (seen.has(zone.name)) {
      throw inputError(`availability zone "${zone.name}" is listed twice`, {
        location: source.locate(['availabilityzones', index, 'name']),
      });
    }
    seen.add(zone.name);
  });
  return {
    file,
    zones: parsed.data.availabilityzones.map((zone) => ({
      name: zone.name,
      kubeconfig: zone.kubeconfig === undefined ? undefined : expandPath(zone.kubeconfig, file, env),
      context: zone.context,
    })),
  };
}

export function findZone(config: VitiConfig, name: string): Zone {
  const zone = config.zones.find((candidate) => candidate.name === name);
  if (!zone) {
    const known = config.zones.map((candidate) => candidate.name);
    throw usageError(
      `no availability zone "${name}" in ${config.file}`,
      known.length > 0 ? `zones there: ${known.join(', ')}` : 'viti lists none there yet',
    );
  }
  return zone;
}
