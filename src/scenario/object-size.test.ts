import { describe, expect, it } from 'vitest';
import { isCustomResource, storedSizeProblem } from './object-size.js';

/**
 * The thresholds were found on the lab (kube-apiserver and etcd with their defaults): a Machine with
 * 255,000 `<` in a string was stored and one with 265,000 was refused ("etcdserver: request is too
 * large"), because Go's JSON writes each as \u003c; 300,000 control characters were stored in a
 * ConfigMap (protobuf) and refused in a Machine (JSON).
 */
describe('the size of an object as the API server stores it', () => {
  const custom = (value: string) => ({
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name: 'm', namespace: 'n' },
    spec: { provider: 'x', userData: value },
  });
  const configMap = (value: string) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n' },
    data: { k: value },
  });

  it('counts what Go escapes in a custom resource at 6 bytes', () => {
    expect(storedSizeProblem(custom('<'.repeat(255_000)), true)).toBeUndefined();
    expect(storedSizeProblem(custom('<'.repeat(265_000)), true)).toMatch(
      /^the object is 1,590,\d{3} bytes as the API server stores it \(JSON\): etcd stores at most 1,572,864/,
    );
    expect(storedSizeProblem(custom('&'.repeat(265_000)), true)).toMatch(/^the object is 1,590,\d{3} bytes/);
    expect(storedSizeProblem(custom('\u2028'.repeat(265_000)), true)).toMatch(
      /^the object is 1,590,\d{3} bytes/,
    );
    expect(storedSizeProblem(custom('\u0001'.repeat(300_000)), true)).toMatch(
      /^the object is 1,800,\d{3} bytes/,
    );
    expect(storedSizeProblem(custom('é'.repeat(700_000)), true)).toBeUndefined();
    expect(storedSizeProblem(custom('é'.repeat(800_000)), true)).toMatch(/^the object is 1,600,\d{3} bytes/);
  });

  it('counts a built-in kind by its string values, which protobuf stores unescaped', () => {
    expect(storedSizeProblem(configMap('\u0001'.repeat(300_000)), false)).toBeUndefined();
    expect(storedSizeProblem(configMap('<'.repeat(300_000)), false)).toBeUndefined();
    expect(storedSizeProblem(configMap('a'.repeat(1_600_000)), false)).toBe(
      "the object's string values alone are 1,600,013 bytes as the API server stores them (protobuf): etcd stores at most 1,572,864 (1.5 MiB) per object by default, the API server would refuse it",
    );
  });

  it('tells custom resources from built-in kinds by their group', () => {
    expect(isCustomResource('vitistack.io/v1alpha1')).toBe(true);
    expect(isCustomResource('v1')).toBe(false);
    expect(isCustomResource('apps/v1')).toBe(false);
    expect(isCustomResource('networking.k8s.io/v1')).toBe(false);
  });

  it('walks deep nesting without recursion', () => {
    let deep: unknown = 'x'.repeat(1_600_000);
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(storedSizeProblem({ apiVersion: 'v1', kind: 'ConfigMap', data: deep }, false)).toMatch(
      / 1,600,011 bytes/,
    );
  });
});
