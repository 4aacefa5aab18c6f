import type { LoadedScenario } from '../config/load-scenario.js';
import { scenarioSchema } from '../config/scenario-schema.js';
import { parseYamlSource } from '../config/yaml-source.js';
import type { Crd } from './crd.js';

/**
 * A scenario made from CRDs alone: one set per kind (its storage version, else the first served),
 * objects synthesised from the schema. This is how any CRD a user has can be load-tested.
 */
export function scenarioFromCrds(crds: Crd[], count: number): LoadedScenario {
  const objects = crds.map((crd) => {
    const version =
      crd.versions.find((v) => v.storage && v.served) ??
      crd.versions.find((v) => v.served) ??
      crd.versions[0];
    const setName =
      crd.plural
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 40)
        .replace(/-+$/, '') || 'objects';
    return {
      name: setName,
      apiVersion: `${crd.group}/${version?.name ?? 'v1'}`,
      kind: crd.kind,
      count,
      nameTemplate: `${crd.kind.toLowerCase().replace(/[^a-z0-9-]/g, '')}-{{index | pad 6}}`,
    };
  });
  const raw = {
    apiVersion: 'vitictl.io/v1alpha1',
    kind: 'Scenario',
    metadata: { name: 'from-crd', description: `generated from ${crds.map((crd) => crd.name).join(', ')}` },
    spec: { objects },
  };
  const file = `<from ${crds[0]?.origin ?? 'CRD'}>`;
  const source = parseYamlSource(file, JSON.stringify(raw));
  return { file, spec: scenarioSchema.parse(raw), source };
}
