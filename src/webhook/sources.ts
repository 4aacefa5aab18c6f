import { z } from 'zod';
import { parseYamlStream, readTextFile, type YamlSource } from '../config/yaml-source.js';
import { inputError } from '../errors.js';
import { CrdRegistry } from '../scenario/crd.js';
import type { KubeObject } from '../scenario/expand.js';
import { prepareScenario } from '../scenario/prepare.js';
import { isPlainObject } from '../util/plain-object.js';
import { guessPlural, type ReviewSource, resourceInfo } from './admission-review.js';

/** The objects a bench sends: at most this many distinct ones (they are reused round-robin). */
const MAX_OBJECTS = 1000;

export interface SourceOptions {
  /** a scenario file or built-in name (default: machines) */
  scenario?: string | undefined;
  /** a YAML/JSON file of real objects (multi-document or kind: List) */
  objectsFile?: string | undefined;
  crdFiles: string[];
  runId: string;
}

export interface LoadedSources {
  sources: ReviewSource[];
  scenario: { name: string; file: string; seed: number; objects: number };
  warnings: string[];
}

const objectShape = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({ name: z.string().min(1), namespace: z.string().optional() }),
});

async function fromScenario(options: SourceOptions): Promise<LoadedSources> {
  const prepared = await prepareScenario({
    scenario: options.scenario ?? 'machines',
    crdFiles: options.crdFiles,
    runId: options.runId,
  });
  const { plan, loaded } = prepared;
  const sources: ReviewSource[] = [];
  for (const { set, object } of plan.objects()) {
    if (sources.length >= MAX_OBJECTS) break;
    sources.push({
      object,
      resource: resourceInfo(object, set.plural ?? guessPlural(object.kind), set.scope === 'Namespaced'),
    });
  }
  return {
    sources,
    scenario: { name: plan.name, file: loaded.file, seed: plan.seed, objects: sources.length },
    warnings: [],
  };
}

function documents(source: YamlSource): { value: unknown; path: PropertyKey[] }[] {
  const value = source.value;
  if (
    isPlainObject(value) &&
    Array.isArray(value.items) &&
    typeof value.kind === 'string' &&
    value.kind.endsWith('List')
  ) {
    return value.items.map((item, index) => ({ value: item, path: ['items', index] }));
  }
  return [{ value, path: [] }];
}

async function fromObjectsFile(file: string, options: SourceOptions): Promise<LoadedSources> {
  const yaml = parseYamlStream(file, await readTextFile(file, 'objects file'));
  const kinds = yaml.flatMap((source) =>
    documents(source).map(({ value }) => (isPlainObject(value) ? String(value.kind) : '')),
  );
  const registry = await CrdRegistry.create(options.crdFiles, kinds);
  const sources: ReviewSource[] = [];
  const guessed = new Map<string, string>();
  for (const source of yaml) {
    for (const { value, path } of documents(source)) {
      if (sources.length >= MAX_OBJECTS) break;
      const parsed = objectShape.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const at = [...path, ...(issue?.path ?? [])];
        throw inputError(
          `not a Kubernetes object: ${issue?.path.join('.') || 'document'} ${issue?.message ?? ''}`.trim(),
          {
            location: source.locate(at),
            hint: 'each document needs apiVersion, kind and metadata.name (kubectl get … -o yaml gives such files)',
          },
        );
      }
      const object = parsed.data as unknown as KubeObject;
      const found = registry.find(object.apiVersion, object.kind);
      let plural = found?.crd.plural;
      let namespaced = found ? found.crd.scope === 'Namespaced' : object.metadata.namespace !== undefined;
      if (!plural) {
        plural = guessPlural(object.kind);
        guessed.set(`${object.kind} (${object.apiVersion})`, plural);
        namespaced = object.metadata.namespace !== undefined;
      }
      sources.push({ object, resource: resourceInfo(object, plural, namespaced) });
    }
  }
  if (sources.length === 0) throw inputError(`no objects in ${file}`, { location: { file } });
  const warnings = [...guessed].map(
    ([kind, plural]) =>
      `no CRD known for ${kind}: its resource is guessed as "${plural}" (pass its CRD with --crd FILE if that is wrong)`,
  );
  return { sources, scenario: { name: 'objects', file, seed: 0, objects: sources.length }, warnings };
}

/** The objects to wrap in AdmissionReviews: from a scenario (default machines) or a file of objects. */
export function loadSources(options: SourceOptions): Promise<LoadedSources> {
  return options.objectsFile !== undefined
    ? fromObjectsFile(options.objectsFile, options)
    : fromScenario(options);
}
