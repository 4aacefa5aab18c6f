import type { LoadedScenario } from '../config/load-scenario.js';
import type { ObjectSetSpec, VariableSpec } from '../config/scenario-schema.js';
import { inputError, usageError } from '../errors.js';
import { RUN_ID_LABEL, SCENARIO_LABEL, SET_LABEL } from '../kube/labels.js';
import { isDnsLabel } from '../kube/names.js';
import { maxOf } from '../util/extremes.js';
import type { CrdRegistry, Scope } from './crd.js';
import { type Fill, GenerationError, synthesizeBody } from './from-schema.js';
import type { JsonSchema } from './json-schema.js';
import { type Rng, randomHex, randomInt, randomUuid, streamFor } from './rng.js';
import { compileString, compileValue, type Render, type Vars } from './template.js';
import { labelValueProblem } from './validate-object.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface ExpandOptions {
  registry: CrdRegistry;
  runId: string;
  /** total objects for the scaled sets (fixedCount sets keep theirs) */
  count?: number;
  namespaces?: number;
  seed?: number;
  fill?: Fill;
}

/** One object set, resolved against the CRDs and compiled. */
export interface PlannedSet {
  spec: ObjectSetSpec;
  scope: Scope;
  count: number;
  schema: JsonSchema | undefined;
  /** plural resource name when a CRD is known */
  plural: string | undefined;
  timeoutMs: number;
  object(index: number): KubeObject;
}

export interface ScenarioPlan {
  name: string;
  runId: string;
  seed: number;
  namespaces: string[];
  /** namespaced objects go to namespace slot index mod this (the scenario's namespace count) */
  namespaceSlots: number;
  createNamespaces: boolean;
  /** selects exactly this run's objects (and, for a shard, this shard's) */
  labelSelector: string;
  /** the shard this plan is, when the scenario was split (src/scenario/shard.ts) */
  shard?: { index: number; count: number; scenarioObjects: number };
  /** sets in creation order (dependencies first) */
  sets: PlannedSet[];
  totalObjects: number;
  namespaceObjects(): KubeObject[];
  objects(): Generator<{ set: PlannedSet; index: number; object: KubeObject }>;
}

/**
 * Bounds on a plan. Objects: generate and validate stream ~50,000 objects/s in flat memory, so
 * 10,000,000 is minutes of work, not days. Namespaces: their names are built up front. See
 * docs/decisions.md.
 */
const SCENARIO_LIMITS = { objects: 10_000_000, namespaces: 100_000 } as const;

const BUILTIN_VARS = ['index', 'set', 'kind', 'runId', 'scenario', 'seed', 'namespace', 'nsIndex'] as const;

/** Largest-remainder split of `total` over weights, each at least 1 where its weight is positive. */
export function scaleCounts(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((weight) => (weight * total) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((value, index) => ({ index, rest: value - Math.floor(value) }))
    .sort((a, b) => b.rest - a.rest);
  for (const { index } of order) {
    if (left <= 0) break;
    counts[index] = (counts[index] ?? 0) + 1;
    left--;
  }
  return counts;
}

function topologicalOrder(sets: ObjectSetSpec[]): ObjectSetSpec[] {
  const byName = new Map(sets.map((set) => [set.name, set]));
  const done = new Set<string>();
  const out: ObjectSetSpec[] = [];
  const visit = (set: ObjectSetSpec) => {
    if (done.has(set.name)) return;
    done.add(set.name);
    for (const dependency of set.dependsOn) {
      const target = byName.get(dependency);
      if (target) visit(target);
    }
    out.push(set);
  };
  for (const set of sets) visit(set);
  return out;
}

type VariableDraw = (rng: Rng, index: number) => unknown;

function variableDraw(spec: VariableSpec, nameOfRef: (set: string, index: number) => string): VariableDraw {
  if (spec.choice) {
    const options = spec.choice.map((entry) =>
      entry !== null && typeof entry === 'object'
        ? { value: entry.value, weight: entry.weight }
        : { value: entry, weight: 1 },
    );
    const total = options.reduce((sum, option) => sum + option.weight, 0);
    return (rng) => {
      let point = rng() * total;
      for (const option of options) {
        point -= option.weight;
        if (point < 0) return option.value;
      }
      return options[options.length - 1]?.value;
    };
  }
  if (spec.int) {
    const { min, max, step } = spec.int;
    return (rng) => randomInt(rng, min, max, step);
  }
  if (spec.ref !== undefined) {
    const target = spec.ref;
    return (_rng, index) => nameOfRef(target, index);
  }
  if (spec.uuid) return (rng) => randomUuid(rng);
  if (spec.hex !== undefined) {
    const length = spec.hex;
    return (rng) => randomHex(rng, length);
  }
  const constant = spec.value;
  return () => constant;
}

/**
 * Expand a scenario into a plan whose objects are produced lazily, one at a time, so that 100,000
 * objects stream to a file without being held in memory.
 */
export function expandScenario(loaded: LoadedScenario, options: ExpandOptions): ScenarioPlan {
  const { spec, source } = loaded;
  const seed = options.seed ?? spec.spec.seed;
  const runId = options.runId;
  const runIdProblem = labelValueProblem(runId);
  if (runIdProblem || runId === '') {
    throw usageError(
      `invalid run id "${runId}": ${runIdProblem ?? 'empty'}`,
      'use letters, digits, "-" and "." (at most 63)',
    );
  }
  const scenarioName = spec.metadata.name;
  const nsSpec = spec.spec.namespaces;
  const nsCount = options.namespaces ?? nsSpec.count;
  if (nsCount > SCENARIO_LIMITS.namespaces) {
    throw inputError(
      `${nsCount} namespaces: vitictl spreads objects over at most ${SCENARIO_LIMITS.namespaces.toLocaleString('en-US')}`,
      {
        location: options.namespaces === undefined ? source.locate(['spec', 'namespaces', 'count']) : {},
        hint: 'use fewer namespaces (--namespaces or spec.namespaces.count)',
      },
    );
  }
  const nsTemplate = compileString(
    nsSpec.nameTemplate,
    new Set(['runId', 'nsIndex', 'scenario']),
    (message) => {
      throw inputError(message, { location: source.locate(['spec', 'namespaces', 'nameTemplate']) });
    },
  );
  const namespaces = Array.from({ length: nsCount }, (_, nsIndex) =>
    String(nsTemplate({ runId, nsIndex, scenario: scenarioName })),
  );
  const badNamespace = namespaces.find((name) => !isDnsLabel(name));
  if (badNamespace !== undefined) {
    throw inputError(`namespace name "${badNamespace}" is not a valid DNS label`, {
      location: source.locate(['spec', 'namespaces', 'nameTemplate']),
      hint: 'lowercase letters, digits and "-", at most 63 characters',
    });
  }

  const ordered = topologicalOrder(spec.spec.objects);
  const declaredIndex = new Map(spec.spec.objects.map((set, index) => [set.name, index]));
  const counts = new Map(ordered.map((set) => [set.name, set.count]));
  if (options.count !== undefined) {
    const scaled = ordered.filter((set) => !set.fixedCount);
    if (scaled.length === 0) {
      throw usageError('--count has nothing to scale: every object set has fixedCount: true');
    }
    const split = scaleCounts(
      scaled.map((set) => set.count || 1),
      options.count,
    );
    scaled.forEach((set, i) => {
      counts.set(set.name, split[i] ?? 0);
    });
  }

  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  if (total > SCENARIO_LIMITS.objects) {
    throw inputError(
      `${total.toLocaleString('en-US')} objects: a scenario makes at most ${SCENARIO_LIMITS.objects.toLocaleString('en-US')}`,
      {
        location: options.count === undefined ? { file: source.file } : {},
        hint: "lower --count (or the sets' counts); for more objects, run several scenarios or shards",
      },
    );
  }

  const planned = new Map<string, PlannedSet>();
  const nameOf = (setName: string, index: number): string => {
    const target = planned.get(setName);
    if (!target || target.count === 0) {
      throw inputError(`set "${setName}" has no objects to refer to`, {
        location: source.locate(['spec', 'objects', declaredIndex.get(setName) ?? 0, 'count']),
      });
    }
    return target.object(index % target.count).metadata.name;
  };

  for (const set of ordered) {
    const setIndex = declaredIndex.get(set.name) ?? 0;
    const locateInSet = (path: ReadonlyArray<PropertyKey>) =>
      source.locate(['spec', 'objects', setIndex, ...path]);
    const at = (...path: PropertyKey[]) => locateInSet(path);
    const resolved = options.registry.find(set.apiVersion, set.kind);
    if (resolved && set.scope && set.scope !== resolved.crd.scope) {
      throw inputError(
        `scope ${set.scope} contradicts the CRD (${resolved.crd.scope}, from ${resolved.crd.origin})`,
        {
          location: at('scope'),
          hint: 'drop scope: it is read from the CRD',
        },
      );
    }
    const scope = set.scope ?? resolved?.crd.scope;
    if (!scope) {
      throw inputError(`no CRD known for ${set.kind} (${set.apiVersion}) and no scope given`, {
        location: at('kind'),
        hint: 'pass its CRD with --crd FILE, or set scope: Namespaced | Cluster on the set',
      });
    }
    const schema = resolved?.version.schema;
    if (!set.template && !schema) {
      throw inputError(`set "${set.name}" has no template and no CRD schema to generate from`, {
        location: at('name'),
        hint: 'add a template, or pass the CRD with --crd FILE',
      });
    }
    const userVars = Object.keys(set.vars);
    const clash = userVars.find(
      (name) => (BUILTIN_VARS as readonly string[]).includes(name) || name === 'name',
    );
    if (clash) {
      throw inputError(`variable "${clash}" shadows a built-in variable`, {
        location: at('vars', clash),
        hint: `built-in: ${[...BUILTIN_VARS, 'name'].join(', ')}`,
      });
    }
    const nameVars = new Set<string>([...BUILTIN_VARS, ...userVars]);
    const allVars = new Set<string>([...nameVars, 'name']);
    const renderName = compileValue(set.nameTemplate, nameVars, locateInSet, ['nameTemplate']);
    const renderLabels = compileValue(set.labels, allVars, locateInSet, ['labels']);
    const hasAnnotations = Object.keys(set.annotations).length > 0;
    const renderAnnotations = compileValue(set.annotations, allVars, locateInSet, ['annotations']);
    const renderBody: Render | undefined = set.template
      ? compileValue(set.template, allVars, locateInSet, ['template'])
      : undefined;
    const draws = Object.entries(set.vars).map(
      ([name, definition]) => [name, variableDraw(definition, nameOf)] as const,
    );
    const fill = options.fill ?? 'required';
    const kindLabels = { [RUN_ID_LABEL]: runId, [SCENARIO_LABEL]: scenarioName, [SET_LABEL]: set.name };
    const count = counts.get(set.name) ?? 0;
    const synthesize = (rng: Rng, index: number): Record<string, unknown> => {
      try {
        return synthesizeBody(schema, rng, index, fill);
      } catch (error) {
        if (!(error instanceof GenerationError) || !resolved) throw error;
        throw inputError(
          `cannot generate ${set.kind} object ${index}: ${error.path || '.'} cannot meet ${error.constraint}`,
          {
            location: resolved.version.locateSchema(error.schemaPath),
            hint: error.constraint.includes('pattern ')
              ? `vitictl found no value within these constraints; it draws from a pattern read as an ECMAScript regular expression, so RE2-only syntax (\\p{Greek}, \\Q…\\E, (?i) past the start) is not drawn; give set "${set.name}" a template`
              : `the schema's constraints leave no value vitictl can generate; give set "${set.name}" a template`,
          },
        );
      }
    };

    const object = (index: number): KubeObject => {
      const rng = streamFor(seed, set.name, index);
      const nsIndex = scope === 'Namespaced' ? index % namespaces.length : 0;
      const namespace = scope === 'Namespaced' ? namespaces[nsIndex] : undefined;
      const vars: Record<string, unknown> = {
        index,
        set: set.name,
        kind: set.kind,
        runId,
        scenario: scenarioName,
        seed,
        namespace: namespace ?? '',
        nsIndex,
      };
      for (const [name, draw] of draws) vars[name] = draw(rng, index);
      const name = String(renderName(vars as Vars));
      vars.name = name;
      const labels: Record<string, string> = {
        ...(renderLabels(vars) as Record<string, string>),
        ...kindLabels,
      };
      for (const [key, value] of Object.entries(labels)) labels[key] = String(value);
      const metadata: KubeObject['metadata'] =
        namespace === undefined ? { name, labels } : { name, namespace, labels };
      if (hasAnnotations) {
        const annotations = renderAnnotations(vars) as Record<string, unknown>;
        metadata.annotations = Object.fromEntries(
          Object.entries(annotations).map(([k, v]) => [k, String(v)]),
        );
      }
      const body = renderBody ? (renderBody(vars) as Record<string, unknown>) : synthesize(rng, index);
      return { apiVersion: set.apiVersion, kind: set.kind, metadata, ...body };
    };

    // a schema whose constraints cannot be met fails here, before any object is written
    if (!renderBody && count > 0) object(0);
    planned.set(set.name, {
      spec: set,
      scope,
      count,
      schema,
      plural: resolved?.crd.plural,
      timeoutMs: set.timeout ?? spec.spec.timeout,
      object,
    });
  }

  const sets = ordered.map((set) => planned.get(set.name) as PlannedSet);
  // objects go round-robin (index mod namespaces), so only the first `largest set` namespaces get any
  const largestNamespaced = Math.max(
    0,
    maxOf(sets.filter((set) => set.scope === 'Namespaced').map((set) => set.count)),
  );
  return {
    name: scenarioName,
    runId,
    seed,
    namespaces: namespaces.slice(0, largestNamespaced),
    namespaceSlots: namespaces.length,
    labelSelector: `${RUN_ID_LABEL}=${runId}`,
    createNamespaces: nsSpec.create && largestNamespaced > 0,
    sets,
    totalObjects: sets.reduce((sum, set) => sum + set.count, 0),
    namespaceObjects() {
      if (!this.createNamespaces) return [];
      return this.namespaces.map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { [RUN_ID_LABEL]: runId, [SCENARIO_LABEL]: scenarioName } },
      }));
    },
    objects: () => objectsOf(sets),
  };
}

/** Every object of the sets, in creation order, made one at a time. */
export function* objectsOf(
  sets: PlannedSet[],
): Generator<{ set: PlannedSet; index: number; object: KubeObject }> {
  for (const set of sets) {
    for (let index = 0; index < set.count; index++) yield { set, index, object: set.object(index) };
  }
}
