import { describe, expect, it } from 'vitest';
import { type ConfigMapSnapshot, restorePlan } from './restore.js';

const applied = { uid: 'uid-1', resourceVersion: '42' };

describe('restorePlan: the one write that puts the ConfigMap back', () => {
  it('deletes a ConfigMap that did not exist, only if it is still the one verify created', () => {
    const plan = restorePlan({ existed: false, namespace: 'vitistack-system', name: 'perf' }, applied);
    expect(plan).toEqual({
      kind: 'delete',
      path: '/api/v1/namespaces/vitistack-system/configmaps/perf',
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        preconditions: { uid: 'uid-1', resourceVersion: '42' },
      },
    });
  });

  it('replaces data, labels and annotations with exactly what was there, conditional on verify’s write', () => {
    const snapshot: ConfigMapSnapshot = {
      existed: true,
      namespace: 'ns',
      name: 'perf',
      object: {
        metadata: {
          name: 'perf',
          namespace: 'ns',
          uid: 'uid-0',
          resourceVersion: '7',
          labels: { team: 'a' },
          annotations: { note: 'hand-tuned' },
        },
        data: { 'performance.yaml': 'controller: {workers: 2}\n', other: 'kept' },
        binaryData: { blob: 'AAE=' },
      },
    };
    const plan = restorePlan(snapshot, applied);
    expect(plan.kind).toBe('replace');
    expect(plan.body).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'perf',
        namespace: 'ns',
        resourceVersion: '42',
        labels: { team: 'a' },
        annotations: { note: 'hand-tuned' },
      },
      data: { 'performance.yaml': 'controller: {workers: 2}\n', other: 'kept' },
      binaryData: { blob: 'AAE=' },
    });
  });

  it('drops the labels and annotations verify added when there were none', () => {
    const plan = restorePlan(
      {
        existed: true,
        namespace: 'ns',
        name: 'perf',
        object: { metadata: { name: 'perf', namespace: 'ns' }, data: { 'performance.yaml': '' } },
      },
      applied,
    );
    const metadata = (plan.body as { metadata: Record<string, unknown> }).metadata;
    expect(metadata).not.toHaveProperty('labels');
    expect(metadata).not.toHaveProperty('annotations');
    expect(plan.body).toHaveProperty('data', { 'performance.yaml': '' });
  });
});
