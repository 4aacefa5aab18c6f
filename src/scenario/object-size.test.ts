import { describe, expect, it } from 'vitest';
import { fieldSizeProblems, isCustomResource, storedSizeProblem } from './object-size.js';

/**
 * The thresholds were found on the lab (kube-apiserver and etcd with their defaults): a Machine with
 * 255,000 `<` in a string was stored and one with 265,000 was refused ("etcdserver: request is too
 * large"), because Go's JSON writes each as \u003c; 300,000 control characters were stored in a
 * ConfigMap (protobuf) and refused in a Machine (JSON).
 */
const custom = (value: string) => ({
  apiVersion: 'vitistack.io/v1alpha1',
  kind: 'Machine',
  metadata: { name: 'm', namespace: 'n' },
  spec: { provider: 'x', userData: value },
});

describe('the size of an object as the API server stores it', () => {
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
    // not base64, which could be a []byte field's and count decoded
    expect(storedSizeProblem(configMap('-'.repeat(1_600_000)), false)).toBe(
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
    let deep: unknown = '-'.repeat(1_600_000);
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(storedSizeProblem({ apiVersion: 'v1', kind: 'ConfigMap', data: deep }, false)).toMatch(
      / 1,600,011 bytes/,
    );
  });
});

describe('the limits the API server sets below etcd', () => {
  const configMap = (extra: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'n' },
    ...extra,
  });

  it("refuses a ConfigMap's or a Secret's data values over 1 MiB, []byte values counted decoded", () => {
    expect(fieldSizeProblems(configMap({ data: { k: 'a'.repeat(2 ** 20) } }))).toEqual([]);
    expect(
      fieldSizeProblems(configMap({ data: { k: 'a'.repeat(2 ** 19), j: 'a'.repeat(2 ** 19 + 1) } })),
    ).toEqual([
      {
        path: '.data',
        message:
          "the ConfigMap's data values are 1,048,577 bytes: the API server takes at most 1,048,576 (1 MiB)",
      },
    ]);
    // 1.2 MB of base64 is 0.9 MB of bytes
    const encoded = Buffer.alloc(900_000, 7).toString('base64');
    expect(fieldSizeProblems(configMap({ binaryData: { k: encoded } }))).toEqual([]);
    expect(fieldSizeProblems({ ...configMap({ data: { k: encoded } }), kind: 'Secret' })).toEqual([]);
    expect(
      fieldSizeProblems({
        ...configMap({ data: { k: encoded }, stringData: { s: 'x'.repeat(200_000) } }),
        kind: 'Secret',
      }),
    ).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^the Secret's data values are 1,100,000 bytes \(base64 decoded\)/),
      }),
    ]);
  });

  it("reads a Secret's data as the API server does: wrapped base64, stringData written over data", () => {
    const secret = (extra: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      ...extra,
    });
    // 800,000 bytes, base64 wrapped at 76 columns (Go's decoder skips the line breaks)
    const wrapped = (
      Buffer.alloc(800_000, 3)
        .toString('base64')
        .match(/.{1,76}/g) as string[]
    ).join('\n');
    expect(fieldSizeProblems(secret({ data: { a: wrapped } }))).toEqual([]);
    // the same key in both: stringData's value is the one stored
    const encoded = Buffer.alloc(600_000, 3).toString('base64');
    expect(
      fieldSizeProblems(secret({ data: { a: encoded }, stringData: { a: 'x'.repeat(600_000) } })),
    ).toEqual([]);
    expect(fieldSizeProblems(secret({ data: { a: '!!!notbase64', b: 5 } }))).toEqual([
      {
        path: '.data.a',
        message: 'data values are base64 (padded, as the API server decodes them into bytes)',
      },
      { path: '.data.b', message: 'data values are strings (got number)' },
    ]);
    expect(fieldSizeProblems(configMap({ data: { k: true } }))).toEqual([
      { path: '.data.k', message: 'data values are strings (got boolean)' },
    ]);
  });

  it('refuses annotations over 256 KiB on any object', () => {
    const annotated = (size: number) => ({
      apiVersion: 'vitistack.io/v1alpha1',
      kind: 'Machine',
      metadata: { name: 'm', annotations: { a: 'x'.repeat(size) } },
    });
    expect(fieldSizeProblems(annotated(262_143))).toEqual([]);
    expect(fieldSizeProblems(annotated(262_144))).toEqual([
      {
        path: '.metadata.annotations',
        message: 'annotations are 262,145 bytes (keys and values): the API server takes at most 262,144',
      },
    ]);
  });

  it('counts a decoded base64 value of a built-in kind at its bytes (a caBundle, Secret data)', () => {
    const secret = (value: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { k: value },
    });
    // 1.6 MB of base64 is 1.2 MB stored
    expect(storedSizeProblem(secret(Buffer.alloc(1_200_000, 1).toString('base64')), false)).toBeUndefined();
  });

  it('counts a lone surrogate in a custom resource as the U+FFFD Go makes of it', () => {
    expect(storedSizeProblem(custom('\ud800'.repeat(270_000)), true)).toBeUndefined();
    expect(storedSizeProblem(custom('\ud800'.repeat(540_000)), true)).toMatch(
      /^the object is 1,620,\d{3} bytes/,
    );
  });
});
