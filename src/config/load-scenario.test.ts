import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { formatLocation, VitictlError } from '../errors.js';
import { listBuiltinScenarios, loadScenario, parseScenario } from './load-scenario.js';

const base = (objects: string, extra = '') => `apiVersion: vitictl.io/v1alpha1
kind: Scenario
metadata:
  name: t
spec:${extra}
  objects:
${objects}`;

const machines = `    - name: machines
      apiVersion: vitistack.io/v1alpha1
      kind: Machine
      count: 3
      template:
        spec:
          instanceType: small
`;

const failure = (text: string) => thrownBy(() => parseScenario('s.yaml', text));

describe('loading a scenario', () => {
  it('applies defaults', () => {
    const { spec } = parseScenario('s.yaml', base(machines));
    expect(spec.spec.seed).toBe(1);
    expect(spec.spec.timeout).toBe(300_000);
    expect(spec.spec.namespaces).toEqual({
      count: 1,
      nameTemplate: 'vitictl-{{runId}}-{{nsIndex}}',
      create: true,
    });
    expect(spec.spec.objects[0]?.nameTemplate).toBe('{{set}}-{{index}}');
  });

  it.each([
    ['malformed YAML', base(machines).replace('count: 3', 'count: [3'), /^malformed YAML/, 's.yaml:11:7'],
    [
      'an unknown field',
      base(machines).replace('count: 3', 'count: 3\n      cuont: 4'),
      /unknown field "cuont"/,
      's.yaml:11:7',
    ],
    [
      'a wrong type',
      base(machines).replace('count: 3', 'count: three'),
      /objects\[0\]\.count: expected number/,
      's.yaml:10:14',
    ],
    [
      'a negative count',
      base(machines).replace('count: 3', 'count: -5'),
      /count: Too small: expected number to be >=0/,
      's.yaml:10:14',
    ],
    ['a bad duration', base(machines, '\n  timeout: soon'), /"soon" is not a duration/, 's.yaml:6:12'],
    [
      'an unknown dependency',
      base(machines.replace('count: 3', 'count: 3\n      dependsOn: [providers]')),
      /dependsOn names an unknown set "providers"/,
      's.yaml:11:19',
    ],
    [
      'a reserved template key',
      base(machines.replace('        spec:', '        status: {}\n        spec:')),
      /must not set "status"/,
      's.yaml:12:17',
    ],
    [
      'a variable with two generators',
      base(
        machines.replace('count: 3', 'count: 3\n      vars:\n        x: {int: {min: 1, max: 2}, value: 3}'),
      ),
      /exactly one of/,
      's.yaml:12:12',
    ],
    [
      'a bad readiness field path',
      base(
        machines.replace(
          '      template:',
          '      ready: {field: {path: .status..phase, equals: Running}}\n      template:',
        ),
      ),
      /cannot read "\.\.phase" in field path/,
      's.yaml:11:29',
    ],
  ])('rejects %s with its position', (_case, text, message, where) => {
    const error = failure(text);
    expect(error.message).toMatch(message);
    expect(formatLocation(error.location)).toBe(where);
    expect(error.exitCode).toBe(2);
  });

  it('rejects dependency cycles', () => {
    const text =
      base(`    - {name: a, apiVersion: v1, kind: ConfigMap, scope: Namespaced, count: 1, dependsOn: [b], template: {}}
    - {name: b, apiVersion: v1, kind: ConfigMap, scope: Namespaced, count: 1, dependsOn: [a], template: {}}
`);
    expect(failure(text).message).toMatch(/dependsOn has a cycle: a -> b -> a/);
  });

  it('rejects a ref to a set that is not a dependency', () => {
    const text =
      base(`    - {name: a, apiVersion: v1, kind: ConfigMap, scope: Namespaced, count: 1, template: {}}
    - {name: b, apiVersion: v1, kind: ConfigMap, scope: Namespaced, count: 1, vars: {x: {ref: a}}, template: {}}
`);
    const error = failure(text);
    expect(error.message).toMatch(/refers to set "a", which is not in dependsOn/);
    expect(error.hint).toMatch(/add "a" to dependsOn/);
  });

  const temp = useTempDir();

  it('reports a missing file as bad input', async () => {
    await temp.write('x', '');
    const error = await loadScenario(temp.path('nope.yaml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).message).toMatch(/^scenario file not found: .*nope\.yaml$/);
    expect((error as VitictlError).exitCode).toBe(2);
  });

  it('lists the built-in scenarios with a description each', async () => {
    const list = await listBuiltinScenarios();
    expect(list.map((s) => s.name).sort()).toEqual([
      'kubernetesclusters',
      'kubernetesproviders',
      'machineclasses',
      'machineproviders',
      'machines',
      'mixed',
      'networkconfigurations',
      'networknamespaces',
      'vitistacks',
    ]);
    for (const scenario of list) expect(scenario.description.length).toBeGreaterThan(10);
  });

  it('resolves a built-in scenario by name', async () => {
    expect((await loadScenario('machines')).spec.metadata.name).toBe('machines');
  });
});
