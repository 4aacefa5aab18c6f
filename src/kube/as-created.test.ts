import { describe, expect, it } from 'vitest';
import { asCreated } from './as-created.js';

/** A Machine as the lab's API server lists it after the operator reconciled it (managedFields shape as served). */
const listed = {
  apiVersion: 'vitistack.io/v1alpha1',
  kind: 'Machine',
  metadata: {
    name: 'machine-000000',
    namespace: 'vitictl-r-0',
    uid: '85687ace',
    resourceVersion: '276',
    generation: 2,
    creationTimestamp: '2026-12-03T18:33:06Z',
    finalizers: ['lab.vitictl.io/reference-operator'],
    labels: { 'vitictl.io/run-id': 'r', 'vitictl.io/set': 'machines', 'team.example/added-later': 'x' },
    annotations: {
      'lab.vitictl.io/observed-generation': '1',
      'lab.vitictl.io/ready-at': '2026-12-03T18:33:06.621Z',
      'lab.vitictl.io/deprovision-time': '2s',
    },
    managedFields: [
      {
        manager: 'operator',
        operation: 'Update',
        fieldsV1: {
          'f:metadata': {
            'f:annotations': {
              '.': {},
              'f:lab.vitictl.io/observed-generation': {},
              'f:lab.vitictl.io/ready-at': {},
            },
            'f:finalizers': { '.': {}, 'v:"lab.vitictl.io/reference-operator"': {} },
          },
        },
      },
      {
        manager: 'operator',
        operation: 'Update',
        subresource: 'status',
        fieldsV1: { 'f:status': { 'f:phase': {} } },
      },
      {
        manager: 'vitictl',
        operation: 'Update',
        fieldsV1: {
          'f:metadata': {
            'f:labels': { '.': {}, 'f:vitictl.io/run-id': {}, 'f:vitictl.io/set': {} },
            'f:annotations': { '.': {}, 'f:lab.vitictl.io/deprovision-time': {} },
          },
          'f:spec': { 'f:memory': {} },
        },
      },
      {
        manager: 'kubectl-label',
        operation: 'Update',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team.example/added-later': {} } } },
      },
    ],
  },
  spec: { memory: 4096, provider: 'kubevirt' },
  status: { phase: 'Running' },
};

describe('an object as its creator wrote it', () => {
  it("keeps the spec and the creator's labels and annotations; drops what controllers and others added, status and server fields", () => {
    expect(asCreated(listed)).toEqual({
      apiVersion: 'vitistack.io/v1alpha1',
      kind: 'Machine',
      metadata: {
        name: 'machine-000000',
        namespace: 'vitictl-r-0',
        labels: { 'vitictl.io/run-id': 'r', 'vitictl.io/set': 'machines' },
        annotations: { 'lab.vitictl.io/deprovision-time': '2s' },
      },
      spec: { memory: 4096, provider: 'kubevirt' },
    });
  });

  it('keeps every label and annotation when the server sent no managedFields (nothing says who set what)', () => {
    const { managedFields: _dropped, ...metadata } = listed.metadata;
    const created = asCreated({ ...listed, metadata });
    expect(created.metadata?.labels).toEqual(listed.metadata.labels);
    expect((created.metadata as { annotations?: unknown }).annotations).toEqual(listed.metadata.annotations);
    expect(created).not.toHaveProperty('status');
  });
});
