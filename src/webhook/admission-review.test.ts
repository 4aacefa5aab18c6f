import { describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import type { KubeObject } from '../scenario/expand.js';
import {
  guessPlural,
  parseOperations,
  ReviewFactory,
  type ReviewSource,
  resourceInfo,
} from './admission-review.js';

function machine(name: string, memory = 1024): ReviewSource {
  const object: KubeObject = {
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: 'team-a', labels: { 'vitictl.io/run-id': 'r1' } },
    spec: { memory },
  };
  return { object, resource: resourceInfo(object, 'machines', true) };
}

interface Parsed {
  apiVersion: string;
  kind: string;
  request: Record<string, unknown> & {
    uid: string;
    operation: string;
    dryRun: boolean;
    object: { metadata: Record<string, unknown> } | null;
    oldObject: { metadata: Record<string, unknown> } | null;
    options: Record<string, unknown>;
  };
}

describe('parseOperations', () => {
  it.each([
    ['CREATE=80,UPDATE=15,DELETE=5', { CREATE: 80, UPDATE: 15, DELETE: 5 }],
    ['create', { CREATE: 1, UPDATE: 0, DELETE: 0 }],
    ['UPDATE=1, DELETE=1', { CREATE: 0, UPDATE: 1, DELETE: 1 }],
    ['CREATE=0.5,CREATE=0.5', { CREATE: 1, UPDATE: 0, DELETE: 0 }],
  ])('%s', (text, expected) => {
    expect(parseOperations(text)).toEqual(expected);
  });

  it.each([
    ['PATCH=1', /unknown operation "PATCH"/],
    ['CREATE=-1', /weight of CREATE must be a number ≥ 0/],
    ['CREATE=x', /weight of CREATE/],
    ['CREATE=0', /at least one operation/],
    ['', /at least one operation/],
  ])('rejects %j', (text, message) => {
    expect(() => parseOperations(text)).toThrow(message);
    try {
      parseOperations(text);
    } catch (error) {
      expect((error as VitictlError).exitCode).toBe(2);
    }
  });
});

describe('guessPlural', () => {
  it.each([
    ['Pod', 'pods'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
    ['Gateway', 'gateways'],
    ['Box', 'boxes'],
  ])('%s → %s', (kind, plural) => {
    expect(guessPlural(kind)).toBe(plural);
  });
});

describe('ReviewFactory', () => {
  const parse = (body: string) => JSON.parse(body) as Parsed;

  it('builds AdmissionReview v1 requests like the API server, a fresh uid each time', () => {
    const factory = new ReviewFactory([machine('m-1')], {
      operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
      dryRunShare: 0,
    });
    const first = factory.next();
    const second = factory.next();
    expect(first.uid).not.toBe(second.uid);
    expect(first.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const review = parse(first.body);
    expect(review.apiVersion).toBe('admission.k8s.io/v1');
    expect(review.kind).toBe('AdmissionReview');
    expect(review.request).toMatchObject({
      uid: first.uid,
      kind: { group: 'vitistack.io', version: 'v1alpha1', kind: 'Machine' },
      resource: { group: 'vitistack.io', version: 'v1alpha1', resource: 'machines' },
      requestKind: { group: 'vitistack.io', version: 'v1alpha1', kind: 'Machine' },
      requestResource: { group: 'vitistack.io', version: 'v1alpha1', resource: 'machines' },
      name: 'm-1',
      namespace: 'team-a',
      operation: 'CREATE',
      userInfo: { username: 'vitictl-webhook-bench', groups: ['system:authenticated'] },
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    });
    expect(review.request.object?.metadata.name).toBe('m-1');
    expect(parse(second.body).request.uid).toBe(second.uid);
  });

  it('sends oldObject for UPDATE and DELETE, no object for DELETE, stored-object metadata on both', () => {
    const factory = new ReviewFactory([machine('m-1')], {
      operations: { CREATE: 0, UPDATE: 1, DELETE: 1 },
      dryRunShare: 0,
    });
    const reviews = [factory.next(), factory.next()].map((review) => parse(review.body).request);
    const update = reviews.find((request) => request.operation === 'UPDATE');
    const remove = reviews.find((request) => request.operation === 'DELETE');
    expect(update?.object?.metadata).toMatchObject({ generation: 2, resourceVersion: '1002' });
    expect(update?.oldObject?.metadata).toMatchObject({ generation: 1, resourceVersion: '1001' });
    expect(update?.object?.metadata.uid).toBe(update?.oldObject?.metadata.uid);
    expect(update?.options.kind).toBe('UpdateOptions');
    expect(remove?.object).toBeNull();
    expect(remove?.oldObject?.metadata.name).toBe('m-1');
    expect(remove?.options.kind).toBe('DeleteOptions');
  });

  it('keeps exact operation and dry-run shares, evenly interleaved', () => {
    const factory = new ReviewFactory([machine('a'), machine('b'), machine('c')], {
      operations: { CREATE: 80, UPDATE: 15, DELETE: 5 },
      dryRunShare: 0.1,
    });
    const ops: string[] = [];
    let dry = 0;
    for (let i = 0; i < 1000; i++) {
      const review = factory.next();
      ops.push(review.operation);
      const request = parse(review.body).request;
      expect(request.operation).toBe(review.operation);
      expect(request.dryRun).toBe(review.dryRun);
      if (review.dryRun) {
        dry++;
        expect(request.options.dryRun).toEqual(['All']);
      }
    }
    expect(factory.issued).toEqual({ CREATE: 800, UPDATE: 150, DELETE: 50 });
    expect(dry).toBe(100);
    expect(factory.dryRunIssued).toBe(100);
    // smooth weighted round-robin: no run of CREATEs longer than the weights allow
    const longest = Math.max(
      ...ops
        .join('')
        .split(/UPDATE|DELETE/)
        .map((run) => run.length / 'CREATE'.length),
    );
    expect(longest).toBeLessThanOrEqual(8);
    factory.resetCounts();
    expect(factory.issued).toEqual({ CREATE: 0, UPDATE: 0, DELETE: 0 });
  });

  it('omits namespace for cluster-scoped kinds and cycles through the objects', () => {
    const object: KubeObject = {
      apiVersion: 'vitistack.io/v1alpha1',
      kind: 'Vitistack',
      metadata: { name: 'vs-1', labels: {} },
    };
    const factory = new ReviewFactory(
      [{ object, resource: resourceInfo(object, 'vitistacks', false) }, machine('m-2')],
      {
        operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
        dryRunShare: 0,
      },
    );
    const first = parse(factory.next().body).request;
    const second = parse(factory.next().body).request;
    const third = parse(factory.next().body).request;
    expect(first.namespace).toBeUndefined();
    expect(first.name).toBe('vs-1');
    expect(second.name).toBe('m-2');
    expect(third.name).toBe('vs-1');
  });

  it('refuses no objects and a share outside 0–1', () => {
    expect(
      () => new ReviewFactory([], { operations: { CREATE: 1, UPDATE: 0, DELETE: 0 }, dryRunShare: 0 }),
    ).toThrow(VitictlError);
    expect(
      () =>
        new ReviewFactory([machine('a')], {
          operations: { CREATE: 1, UPDATE: 0, DELETE: 0 },
          dryRunShare: 1.5,
        }),
    ).toThrow(/between 0 and 1/);
  });
});
