import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../scenario/expand.js';
import { type ReviewSource, resourceInfo } from './admission-review.js';
import { applyRules, type WebhookRule } from './webhook-config.js';

function source(apiVersion: string, kind: string, plural: string, namespaced: boolean): ReviewSource {
  const object: KubeObject = {
    apiVersion,
    kind,
    metadata: { name: 'x', ...(namespaced ? { namespace: 'default' } : {}), labels: {} },
  };
  return { object, resource: resourceInfo(object, plural, namespaced) };
}

const machines: WebhookRule = {
  apiGroups: ['vitistack.io'],
  apiVersions: ['v1alpha1'],
  resources: ['machines'],
  operations: ['CREATE', 'UPDATE'],
  scope: '*',
};

describe('applyRules: what the API server would send this webhook', () => {
  const machine = source('vitistack.io/v1alpha1', 'Machine', 'machines', true);
  const vitistack = source('vitistack.io/v1alpha1', 'Vitistack', 'vitistacks', false);

  it('keeps matching objects and operations, and says what it dropped', () => {
    const ruled = applyRules([machines], [machine, vitistack], { CREATE: 80, UPDATE: 15, DELETE: 5 });
    expect(ruled.sources).toEqual([machine]);
    expect(ruled.droppedKinds).toEqual(['Vitistack']);
    expect(ruled.operations).toEqual({ CREATE: 80, UPDATE: 15, DELETE: 0 });
    expect(ruled.droppedOperations).toEqual(['DELETE']);
  });

  it('honours wildcards and scope', () => {
    const all: WebhookRule = {
      apiGroups: ['*'],
      apiVersions: ['*'],
      resources: ['*'],
      operations: ['*'],
      scope: 'Cluster',
    };
    const ruled = applyRules([all], [machine, vitistack], { CREATE: 1, UPDATE: 1, DELETE: 1 });
    expect(ruled.sources).toEqual([vitistack]);
    expect(ruled.droppedOperations).toEqual([]);
  });

  it('a version the rules do not name matches nothing', () => {
    const v1 = source('vitistack.io/v1', 'Machine', 'machines', true);
    expect(applyRules([machines], [v1], { CREATE: 1, UPDATE: 0, DELETE: 0 }).sources).toEqual([]);
  });
});
