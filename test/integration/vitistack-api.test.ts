import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { crdFilesIn, resolveVitistackApi, VITISTACK_API_MODULE } from '../../src/lab/vitistack-api.js';
import { packagePath } from '../../src/util/package-root.js';
import { kubectl, lab } from '../helpers/lab.js';

interface CrdDocument {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string };
    versions: Array<{ name: string; schema?: { openAPIV3Schema?: unknown } }>;
  };
}

describe('the published VitiStack API', () => {
  it('crds/ is a byte-for-byte copy of the pinned module’s crds/ (npm run crds:sync regenerates it)', async () => {
    const api = await resolveVitistackApi();
    expect(api.module).toBe(VITISTACK_API_MODULE);
    const files = await crdFilesIn(api.crdDir);
    expect(files).toHaveLength(14);
    expect(await crdFilesIn(packagePath('crds'))).toEqual(files);
    for (const name of files) {
      const ours = await readFile(packagePath('crds', name));
      const theirs = await readFile(join(api.crdDir, name));
      expect(ours.equals(theirs), `crds/${name} differs from ${api.module}@${api.version}`).toBe(true);
    }
  });

  it("the lab's API server serves exactly the module's schemas for all 14 kinds", async () => {
    const api = await resolveVitistackApi();
    expect(lab().vitistackApi).toEqual({ module: api.module, version: api.version });
    const files = await crdFilesIn(api.crdDir);
    const served = await kubectl(['get', 'crd', '-o', 'json']);
    expect(served.exitCode, String(served.stderr)).toBe(0);
    const byName = new Map(
      (JSON.parse(String(served.stdout)) as { items: CrdDocument[] }).items.map((crd) => [
        crd.metadata.name,
        crd,
      ]),
    );
    for (const file of files) {
      const expected = parse(await readFile(join(api.crdDir, file), 'utf8')) as CrdDocument;
      const actual = byName.get(expected.metadata.name);
      expect(actual, `${expected.metadata.name} is not installed`).toBeDefined();
      expect(actual?.spec.group).toBe(expected.spec.group);
      expect(actual?.spec.scope).toBe(expected.spec.scope);
      expect(actual?.spec.names).toMatchObject(expected.spec.names);
      expect(actual?.spec.versions.map((version) => version.name)).toEqual(
        expected.spec.versions.map((version) => version.name),
      );
      expected.spec.versions.forEach((version, index) => {
        expect(actual?.spec.versions[index]?.schema?.openAPIV3Schema, `${file} ${version.name}`).toEqual(
          version.schema?.openAPIV3Schema,
        );
      });
    }
    expect([...byName.keys()].filter((name) => name.endsWith('.vitistack.io'))).toHaveLength(14);
  });
});
