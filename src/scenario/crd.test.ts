import { describe, expect, it } from 'vitest';
import { widgetCrd } from '../../test/helpers/crd.js';
import { useTempDir } from '../../test/helpers/files.js';
import { formatLocation, VitictlError } from '../errors.js';
import { builtinCrds, CrdRegistry, loadCrdFile } from './crd.js';

describe('CRDs', () => {
  const temp = useTempDir();

  it("ships the VitiStack API module's 14 CRDs with the right scopes", async () => {
    const crds = await builtinCrds();
    expect(Object.fromEntries(crds.map((crd) => [crd.kind, crd.scope]))).toEqual({
      ClusterStorage: 'Namespaced',
      ClusterStorageClass: 'Cluster',
      ControlPlaneVirtualSharedIP: 'Namespaced',
      EtcdBackup: 'Namespaced',
      KubernetesCluster: 'Namespaced',
      KubernetesProvider: 'Cluster',
      KubevirtConfig: 'Cluster',
      Machine: 'Namespaced',
      MachineClass: 'Cluster',
      MachineProvider: 'Cluster',
      NetworkConfiguration: 'Namespaced',
      NetworkNamespace: 'Namespaced',
      ProxmoxConfig: 'Cluster',
      Vitistack: 'Cluster',
    });
    for (const crd of crds) {
      expect(crd.group).toBe('vitistack.io');
      expect(crd.versions[0]?.hasStatusSubresource).toBe(true);
    }
  });

  it('parses only the built-in CRDs a scenario names, found by their kind', async () => {
    expect((await builtinCrds(['Machine', 'Vitistack', 'NoSuchKind'])).map((crd) => crd.kind)).toEqual([
      'Machine',
      'Vitistack',
    ]);
    const registry = await CrdRegistry.create([], ['KubernetesCluster']);
    expect(registry.kinds()).toEqual(['vitistack.io/v1alpha1/KubernetesCluster']);
  });

  it('reads several versions and the legacy v1beta1 shape', async () => {
    const file = await temp.write(
      'crds.yaml',
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}
    - {name: v2, served: true, storage: false}
---
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  version: v1
  names: {kind: Gadget, plural: gadgets}
  scope: Cluster
  validation: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
  subresources: {status: {}}
`,
    );
    const registry = await CrdRegistry.create([file], false);
    expect(registry.find('example.com/v1', 'Widget')?.version.schema).toEqual({ type: 'object' });
    expect(registry.find('example.com/v2', 'Widget')?.version.schema).toBeUndefined();
    const gadget = registry.find('example.com/v1', 'Gadget');
    expect(gadget?.crd.scope).toBe('Cluster');
    expect(gadget?.version.hasStatusSubresource).toBe(true);
  });

  it('refuses a schema that is not structural: an unknown type or a pattern that does not compile, at file:line', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['type: foo', '17:21', /^invalid CustomResourceDefinition Widget: unknown type "foo"/],
      [
        'type: object\nproperties:\n  x: {type: string, pattern: "a(b"}',
        '19:44',
        /^invalid CustomResourceDefinition Widget: pattern is not a regular expression \(missing closing \): `a\(b`\): a\(b$/,
      ],
      ['type: array\nitems:\n  type: [string]', '19:23', /unknown type \["string"\]/],
      // Go's regexp has no lookarounds and repeats at most 1000 times (a{1000000000} asked for GBs)
      [
        'type: string\npattern: "a(?=b)"',
        '18:24',
        /pattern is not a regular expression \(invalid or unsupported Perl syntax: `\(\?=`\): a\(\?=b\)$/,
      ],
      ['type: string\npattern: "^a{1000000000}$"', '18:24', /invalid repeat count: `\{1000000000\}`/],
    ];
    for (const [node, position, message] of cases) {
      const file = await temp.write('bad.yaml', widgetCrd(node));
      const error = (await loadCrdFile(file).catch((e: unknown) => e)) as VitictlError;
      expect(error).toBeInstanceOf(VitictlError);
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(message);
      expect(formatLocation(error.location)).toBe(`${file}:${position}`);
    }
    // RE2 spellings the API server accepts are accepted here too
    const re2 = await temp.write('re2.yaml', widgetCrd('type: string\npattern: "(?i)^[[:alpha:]]+\\\\z"'));
    expect((await loadCrdFile(re2))[0]?.kind).toBe('Widget');
  });

  it('says clearly when a file is not a CRD', async () => {
    const file = await temp.write(
      'deploy.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n',
    );
    const error = (await loadCrdFile(file).catch((e: unknown) => e)) as VitictlError;
    expect(error).toBeInstanceOf(VitictlError);
    expect(error.message).toBe('not a CustomResourceDefinition: found kind Deployment');
    expect(formatLocation(error.location)).toBe(`${file}:2:7`);
  });

  it('says which field an invalid CRD lacks, and where', async () => {
    const file = await temp.write(
      'bad.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: g\n  names: {plural: xs}\n  scope: Namespaced\n',
    );
    const error = (await loadCrdFile(file).catch((e: unknown) => e)) as VitictlError;
    expect(error.message).toBe('invalid CustomResourceDefinition: spec.names.kind is missing');
    expect(formatLocation(error.location)).toBe(`${file}:5:10`);
  });
});
