import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { VitictlError } from '../errors.js';
import { loadSources } from './sources.js';

describe('loadSources', () => {
  const temp = useTempDir();

  it('takes objects from a scenario, with the plural and scope from its CRD', async () => {
    const loaded = await loadSources({ scenario: 'machines', crdFiles: [], runId: 'r1' });
    expect(loaded.sources).toHaveLength(1000);
    expect(loaded.sources[0]?.resource).toEqual({
      group: 'vitistack.io',
      version: 'v1alpha1',
      kind: 'Machine',
      resource: 'machines',
      namespaced: true,
    });
    expect(loaded.scenario.name).toBe('machines');
  });

  it('reads a file of objects (multi-document and List), guessing plurals only for unknown kinds', async () => {
    const file = await temp.write(
      'objects.yaml',
      `apiVersion: vitistack.io/v1alpha1
kind: Machine
metadata: {name: ok, namespace: default}
spec: {memory: 1}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm, namespace: default}
  - apiVersion: vitistack.io/v1alpha1
    kind: Vitistack
    metadata: {name: vs}
`,
    );
    const loaded = await loadSources({ objectsFile: file, crdFiles: [], runId: 'r1' });
    expect(loaded.sources.map((s) => [s.resource.kind, s.resource.resource, s.resource.namespaced])).toEqual([
      ['Machine', 'machines', true],
      ['ConfigMap', 'configmaps', true],
      ['Vitistack', 'vitistacks', false],
    ]);
    expect(loaded.warnings).toEqual([
      'no CRD known for ConfigMap (v1): its resource is guessed as "configmaps" (pass its CRD with --crd FILE if that is wrong)',
    ]);
  });

  it('points at the document that is not an object', async () => {
    const file = await temp.write('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n');
    const error = await loadSources({ objectsFile: file, crdFiles: [], runId: 'r1' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).message).toMatch(/^not a Kubernetes object: metadata\.name/);
    expect((error as VitictlError).location?.file).toBe(file);
    expect((error as VitictlError).location?.line).toBeGreaterThan(0);
  });
});
