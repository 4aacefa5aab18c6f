import { describe, expect, it } from 'vitest';
import {
  admitted,
  type Checked,
  checkResponse,
  checkTransportError,
  withDeadline,
} from './check-response.js';

const UID = '2b7d1a4e-0c2f-4a51-9f55-3d1c1b2a9e10';
const b64 = (text: string) => Buffer.from(text).toString('base64');

function answer(response: unknown, envelope: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    ...envelope,
    response,
  });
}

describe('checkResponse: the API server’s checks', () => {
  const cases: [string, 'validating' | 'mutating', number, string, Checked][] = [
    ['allowed', 'validating', 200, answer({ uid: UID, allowed: true }), { class: 'okAllowed' }],
    [
      'denied with status',
      'validating',
      200,
      answer({ uid: UID, allowed: false, status: { code: 403, message: 'no' } }),
      { class: 'okDenied' },
    ],
    [
      'denied without status',
      'validating',
      200,
      answer({ uid: UID, allowed: false }),
      { class: 'okDenied', deniedWithoutStatus: true },
    ],
    ['allowed missing → denied', 'validating', 200, answer({ uid: UID, status: {} }), { class: 'okDenied' }],
    ['HTTP 500', 'validating', 500, 'oops', { class: 'httpError', reason: 'HTTP 500' }],
    ['HTTP 302', 'validating', 302, '', { class: 'httpError', reason: 'HTTP 302' }],
    [
      '206 is still a success',
      'validating',
      206,
      answer({ uid: UID, allowed: true }),
      { class: 'okAllowed' },
    ],
    ['non-JSON', 'validating', 200, '<html>ok</html>', { class: 'wouldFail', reason: 'body is not JSON' }],
    [
      'JSON array',
      'validating',
      200,
      '[]',
      { class: 'wouldFail', reason: 'body is not an AdmissionReview object' },
    ],
    ['no response', 'validating', 200, answer(undefined), { class: 'wouldFail', reason: 'response absent' }],
    [
      'uid mismatch',
      'validating',
      200,
      answer({ uid: 'another', allowed: true }),
      { class: 'wouldFail', reason: 'response.uid does not match request.uid' },
    ],
    [
      'v1beta1 answer',
      'validating',
      200,
      answer({ uid: UID, allowed: true }, { apiVersion: 'admission.k8s.io/v1beta1' }),
      { class: 'wouldFail', reason: 'not an admission.k8s.io/v1 AdmissionReview' },
    ],
    [
      'wrong kind',
      'validating',
      200,
      answer({ uid: UID, allowed: true }, { kind: 'Status' }),
      { class: 'wouldFail', reason: 'not an admission.k8s.io/v1 AdmissionReview' },
    ],
    [
      'allowed as a string',
      'validating',
      200,
      answer({ uid: UID, allowed: 'true' }),
      { class: 'wouldFail', reason: 'response.allowed is not a boolean' },
    ],
    [
      'validating with a patch',
      'validating',
      200,
      answer({ uid: UID, allowed: true, patchType: 'JSONPatch', patch: b64('[]') }),
      { class: 'wouldFail', reason: 'validating webhook returned response.patch' },
    ],
    [
      'validating with patchType only',
      'validating',
      200,
      answer({ uid: UID, allowed: true, patchType: 'JSONPatch' }),
      { class: 'wouldFail', reason: 'validating webhook returned response.patchType' },
    ],
    [
      'mutating: patch without patchType',
      'mutating',
      200,
      answer({ uid: UID, allowed: true, patch: b64('[]') }),
      { class: 'wouldFail', reason: 'response.patch without response.patchType' },
    ],
    [
      'mutating: patchType without patch',
      'mutating',
      200,
      answer({ uid: UID, allowed: true, patchType: 'JSONPatch' }),
      { class: 'wouldFail', reason: 'response.patchType without response.patch' },
    ],
    [
      'mutating: empty patch string counts as none',
      'mutating',
      200,
      answer({ uid: UID, allowed: true, patch: '', patchType: 'JSONPatch' }),
      { class: 'wouldFail', reason: 'response.patchType without response.patch' },
    ],
    [
      'mutating: unsupported patch type',
      'mutating',
      200,
      answer({ uid: UID, allowed: true, patchType: 'MergePatch', patch: b64('{}') }),
      { class: 'wouldFail', reason: 'unsupported response.patchType' },
    ],
    [
      'mutating: not base64 JSON Patch',
      'mutating',
      200,
      answer({ uid: UID, allowed: true, patchType: 'JSONPatch', patch: b64('{"op":"add"}') }),
      { class: 'wouldFail', reason: 'response.patch is not a base64 JSON Patch' },
    ],
    [
      'mutating: a patch',
      'mutating',
      200,
      answer({
        uid: UID,
        allowed: true,
        patchType: 'JSONPatch',
        patch: b64('[{"op":"add","path":"/metadata/labels/x","value":"y"}]'),
        warnings: ['deprecated field'],
      }),
      { class: 'okAllowed', patched: true, warnings: 1 },
    ],
    [
      'mutating: no patch at all',
      'mutating',
      200,
      answer({ uid: UID, allowed: true }),
      { class: 'okAllowed' },
    ],
  ];

  it.each(cases)('%s', (_name, type, status, body, expected) => {
    expect(checkResponse(UID, type, status, body)).toEqual(expected);
  });
});

describe('failures without an answer', () => {
  it('classifies network errors; timeouts apart', () => {
    expect(checkTransportError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toEqual({
      class: 'httpError',
      reason: 'reset: ECONNRESET',
    });
    expect(
      checkTransportError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })).class,
    ).toBe('timeout');
    expect(checkTransportError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).reason).toBe(
      'refused: ECONNREFUSED',
    );
  });

  it('an answer after timeoutSeconds is a timeout: the API server gave up', () => {
    const ok: Checked = { class: 'okAllowed' };
    expect(withDeadline(ok, 999, 1000)).toBe(ok);
    expect(withDeadline(ok, 1001, 1000)).toEqual({
      class: 'timeout',
      reason: 'answered after timeoutSeconds',
    });
  });

  it('failurePolicy decides failed calls', () => {
    expect(admitted('okAllowed', 'Fail')).toBe(true);
    expect(admitted('okDenied', 'Ignore')).toBe(false);
    for (const failed of ['httpError', 'timeout', 'wouldFail'] as const) {
      expect(admitted(failed, 'Fail')).toBe(false);
      expect(admitted(failed, 'Ignore')).toBe(true);
    }
  });
});
