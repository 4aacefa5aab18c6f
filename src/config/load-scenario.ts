import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { inputError } from '../errors.js';
import { parseFieldPath } from '../util/field-path.js';
import { packagePath } from '../util/package-root.js';
import { type ScenarioSpec, scenarioSchema } from './scenario-schema.js';
import { parseYamlSource, readTextFile, type YamlSource } from './yaml-source.js';
import { zodToInputError } from './zod-errors.js';

export interface LoadedScenario {
  file: string;
  spec: ScenarioSpec;
  source: YamlSource;
}

const RESERVED_TEMPLATE_KEYS = ['apiVersion', 'kind', 'metadata', 'status'];

/** Named rules beyond the schema: references resolve, no cycles, templates don't set reserved keys. */
function checkRules(spec: ScenarioSpec, source: YamlSource): void {
  const names = new Map<string, number>();
  spec.spec.objects.forEach((set, index) => {
    if (names.has(set.name)) {
      throw inputError(`duplicate object set name "${set.name}"`, {
        location: source.locate(['spec', 'objects', index, 'name']),
        hint: 'every set needs its own name: it becomes the vitictl.io/set label',
      });
    }
    names.set(set.name, index);
  });
  spec.spec.objects.forEach((set, index) => {
    set.dependsOn.forEach((dependency, position) => {
      if (!names.has(dependency)) {
        throw inputError(`dependsOn names an unknown set "${dependency}"`, {
          location: source.locate(['spec', 'objects', index, 'dependsOn', position]),
          hint: `known sets: ${[...names.keys()].join(', ')}`,
        });
      }
    });
    for (const [variable, definition] of Object.entries(set.vars)) {
      if (definition.ref !== undefined && !set.dependsOn.includes(definition.ref)) {
        throw inputError(
          `variable "${variable}" refers to set "${definition.ref}", which is not in dependsOn`,
          {
            location: source.locate(['spec', 'objects', index, 'vars', variable, 'ref']),
            hint: `add "${definition.ref}" to dependsOn so it is created first`,
          },
        );
      }
    }
    const paths: Array<[string | undefined, PropertyKey[]]> = [
      [set.ready?.field?.path, ['ready', 'field', 'path']],
      [set.ready?.failed?.field?.path, ['ready', 'failed', 'field', 'path']],
      [set.ready?.failureMessagePath, ['ready', 'failureMessagePath']],
    ];
    for (const [path, at] of paths) {
      if (path === undefined) continue;
      try {
        parseFieldPath(path);
      } catch (error) {
        throw inputError((error as Error).message, {
          location: source.locate(['spec', 'objects', index, ...at]),
        });
      }
    }
    for (const key of RESERVED_TEMPLATE_KEYS) {
      if (set.template && key in set.template) {
        throw inputError(`template must not set "${key}"`, {
          location: source.locate(['spec', 'objects', index, 'template', key]),
          hint:
            key === 'status'
              ? 'status is written by the controller, not on create'
              : 'apiVersion and kind are set on the set; names, labels and annotations by nameTemplate, labels, annotations',
        });
      }
    }
  });
  // cycles: depth-first search over dependsOn
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const index = names.get(name) ?? 0;
      throw inputError(`dependsOn has a cycle: ${[...trail, name].join(' -> ')}`, {
        location: source.locate(['spec', 'objects', index, 'dependsOn']),
      });
    }
    state.set(name, 'visiting');
    const set = spec.spec.objects[names.get(name) ?? 0];
    for (const dependency of set?.dependsOn ?? []) visit(dependency, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of names.keys()) visit(name, []);
}

export function parseScenario(file: string, text: string): LoadedScenario {
  const source = parseYamlSource(file, text);
  const parsed = scenarioSchema.safeParse(source.value);
  if (!parsed.success) {
    throw zodToInputError(
      parsed.error,
      source,
      'scenario',
      'see `vitictl scenario validate --help` for the format',
    );
  }
  checkRules(parsed.data, source);
  return { file, spec: parsed.data, source };
}

/** A path, or the name of a built-in scenario (`machines` → scenarios/machines.yaml). */
function resolveScenarioPath(reference: string): string {
  if (existsSync(reference)) return reference;
  const builtin = packagePath('scenarios', `${basename(reference).replace(/\.ya?ml$/, '')}.yaml`);
  if (!reference.includes('/') && existsSync(builtin)) return builtin;
  return reference;
}

export async function loadScenario(reference: string): Promise<LoadedScenario> {
  const file = resolveScenarioPath(reference);
  return parseScenario(file, await readTextFile(file, 'scenario file'));
}

export interface BuiltinScenario {
  name: string;
  file: string;
  description: string;
  objects: number;
  kinds: string[];
}

export async function listBuiltinScenarios(): Promise<BuiltinScenario[]> {
  const dir = packagePath('scenarios');
  const files = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (name) => {
      const loaded = await loadScenario(join(dir, name));
      return {
        name: loaded.spec.metadata.name,
        file: join('scenarios', name),
        description: loaded.spec.metadata.description,
        objects: loaded.spec.spec.objects.reduce((sum, set) => sum + set.count, 0),
        kinds: [...new Set(loaded.spec.spec.objects.map((set) => set.kind))],
      };
    }),
  );
}
