import { type LoadedScenario, loadScenario } from '../config/load-scenario.js';
import { usageError } from '../errors.js';
import { CrdRegistry, loadCrdFile } from './crd.js';
import { expandScenario, type PlannedSet, type ScenarioPlan } from './expand.js';
import { scenarioFromCrds } from './from-crd-scenario.js';
import type { Fill } from './from-schema.js';
import { type Shard, shardPlan } from './shard.js';

export interface PrepareOptions {
  /** a scenario path or built-in name; omitted: objects from the --crd files' schemas */
  scenario?: string | undefined;
  crdFiles: string[];
  count?: number | undefined;
  namespaces?: number | undefined;
  seed?: number | undefined;
  runId?: string | undefined;
  fill?: Fill | undefined;
  /** create only this shard's part of the scenario */
  shard?: Shard | undefined;
}

export interface PreparedScenario {
  loaded: LoadedScenario;
  plan: ScenarioPlan;
  registry: CrdRegistry;
  /** for each set, where its schema came from */
  schemaOrigins: Map<PlannedSet, string>;
}

/** Default run id when none is given for output that must be reproducible: derived, not random. */
function deterministicRunId(scenario: string, seed: number): string {
  return `${scenario.slice(0, 40)}-${seed}`;
}

/** Scenario (or CRDs) + flags → an expanded plan. Shared by generate, validate and apply. */
export async function prepareScenario(options: PrepareOptions): Promise<PreparedScenario> {
  let loaded: LoadedScenario;
  if (options.scenario !== undefined) {
    loaded = await loadScenario(options.scenario);
  } else if (options.crdFiles.length > 0) {
    const crds = (await Promise.all(options.crdFiles.map((file) => loadCrdFile(file)))).flat();
    loaded = scenarioFromCrds(crds, options.count ?? 10);
  } else {
    throw usageError(
      'a scenario file (or built-in name) is required, or --crd FILE to generate from a CRD',
      'see `vitictl scenario list`',
    );
  }
  const registry = await CrdRegistry.create(
    options.crdFiles,
    loaded.spec.spec.objects.map((set) => set.kind),
  );
  const seed = options.seed ?? loaded.spec.spec.seed;
  const whole = expandScenario(loaded, {
    registry,
    runId: options.runId ?? deterministicRunId(loaded.spec.metadata.name, seed),
    seed,
    ...(options.count === undefined ? {} : { count: options.count }),
    ...(options.namespaces === undefined ? {} : { namespaces: options.namespaces }),
    ...(options.fill === undefined ? {} : { fill: options.fill }),
  });
  const plan = options.shard ? shardPlan(whole, options.shard) : whole;
  const schemaOrigins = new Map<PlannedSet, string>();
  for (const set of plan.sets) {
    const found = registry.find(set.spec.apiVersion, set.spec.kind);
    if (found?.version.schema)
      schemaOrigins.set(set, `${found.crd.name} ${found.version.name} (${found.crd.origin})`);
  }
  return { loaded, plan, registry, schemaOrigins };
}
