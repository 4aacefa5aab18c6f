import { classifyNetworkError } from '../kube/rest.js';

/**
 * The API server's checks on a webhook's answer (client-go's status handling, then
 * VerifyAdmissionResponse, then the mutating dispatcher's patch type check), as a classification.
 * Reasons are stable keys, so they can be counted.
 */

export type WebhookType = 'validating' | 'mutating';
export type FailurePolicy = 'Fail' | 'Ignore';
export type ResponseClass = 'okAllowed' | 'okDenied' | 'httpError' | 'timeout' | 'wouldFail';

export interface Checked {
  class: ResponseClass;
  /** why a call failed (httpError, timeout, wouldFail): a stable key */
  reason?: string;
  /** denied without response.status: the API server says "denied the request without explanation" */
  deniedWithoutStatus?: boolean;
  /** mutating: a patch the API server would apply */
  patched?: boolean;
  warnings?: number;
}

const OK_ALLOWED: Checked = { class: 'okAllowed' };

function wouldFail(reason: string): Checked {
  return { class: 'wouldFail', reason };
}

function isJsonPatch(base64: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return false;
  try {
    const ops = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as unknown;
    return (
      Array.isArray(ops) &&
      ops.every(
        (op) => op !== null && typeof op === 'object' && typeof (op as { op?: unknown }).op === 'string',
      )
    );
  } catch {
    return false;
  }
}

/**
 * Classify one HTTP answer. `status` outside 200–206 is an error before the body is read (client-go);
 * then the body must decode as an admission.k8s.io/v1 AdmissionReview whose response echoes the uid.
 */
export function checkResponse(expectedUid: string, type: WebhookType, status: number, body: string): Checked {
  if (status < 200 || status > 206) return { class: 'httpError', reason: `HTTP ${status}` };
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch {
    return wouldFail('body is not JSON');
  }
  if (review === null || typeof review !== 'object' || Array.isArray(review)) {
    return wouldFail('body is not an AdmissionReview object');
  }
  const { apiVersion, kind, response } = review as {
    apiVersion?: unknown;
    kind?: unknown;
    response?: unknown;
  };
  if (response === undefined || response === null) return wouldFail('response absent');
  if (typeof response !== 'object' || Array.isArray(response)) return wouldFail('response is not an object');
  const r = response as {
    uid?: unknown;
    allowed?: unknown;
    status?: unknown;
    patch?: unknown;
    patchType?: unknown;
    warnings?: unknown;
  };
  if (r.uid !== expectedUid) return wouldFail('response.uid does not match request.uid');
  if (apiVersion !== 'admission.k8s.io/v1' || kind !== 'AdmissionReview') {
    return wouldFail('not an admission.k8s.io/v1 AdmissionReview');
  }
  if (r.allowed !== undefined && typeof r.allowed !== 'boolean') {
    return wouldFail('response.allowed is not a boolean');
  }
  const hasPatch =
    typeof r.patch === 'string' ? r.patch.length > 0 : r.patch !== undefined && r.patch !== null;
  const hasPatchType = r.patchType !== undefined && r.patchType !== null;
  let patched = false;
  if (type === 'validating') {
    if (hasPatch) return wouldFail('validating webhook returned response.patch');
    if (hasPatchType) return wouldFail('validating webhook returned response.patchType');
  } else {
    if (hasPatch && !hasPatchType) return wouldFail('response.patch without response.patchType');
    if (!hasPatch && hasPatchType) return wouldFail('response.patchType without response.patch');
    if (hasPatch) {
      if (r.patchType !== 'JSONPatch') return wouldFail('unsupported response.patchType');
      if (typeof r.patch !== 'string' || !isJsonPatch(r.patch)) {
        return wouldFail('response.patch is not a base64 JSON Patch');
      }
      patched = true;
    }
  }
  const warnings = Array.isArray(r.warnings) ? r.warnings.length : 0;
  if (r.allowed === true) {
    if (!patched && warnings === 0) return OK_ALLOWED;
    return { class: 'okAllowed', ...(patched ? { patched } : {}), ...(warnings ? { warnings } : {}) };
  }
  const explained = r.status !== null && typeof r.status === 'object';
  return {
    class: 'okDenied',
    ...(explained ? {} : { deniedWithoutStatus: true }),
    ...(warnings ? { warnings } : {}),
  };
}

/** A call that produced no HTTP answer: refused, reset, TLS, or out of time. */
export function checkTransportError(error: unknown): Checked {
  const network = classifyNetworkError(error);
  if (network.failure === 'timeout') return { class: 'timeout', reason: 'no answer within timeoutSeconds' };
  return { class: 'httpError', reason: `${network.failure}: ${network.code}` };
}

/**
 * The most of one answer vitictl reads. An AdmissionReview answer is a uid, a verdict and at most a
 * patch of one object (etcd stores at most 1.5 MiB): a webhook sending more is broken, and reading
 * it whole would let it fill the generator's memory (calls in flight × its size).
 */
export const MAX_ANSWER_BYTES = 8 * 2 ** 20;

/** An answer cut off at MAX_ANSWER_BYTES. */
export function answerTooLarge(): Checked {
  return wouldFail('answer larger than 8 MiB');
}

/** A body still arriving at timeoutSeconds (one that drips): the API server gave up on it. */
export function answeredLate(): Checked {
  return { class: 'timeout', reason: 'answered after timeoutSeconds' };
}

/** An answer after timeoutSeconds (counted from the send) is a timeout: the API server gave up on it. */
export function withDeadline(checked: Checked, sendToAnswerMs: number, timeoutMs: number): Checked {
  return sendToAnswerMs > timeoutMs ? answeredLate() : checked;
}

/** Did the API server admit the request (this webhook alone)? Failed calls follow the failurePolicy. */
export function admitted(checked: ResponseClass, policy: FailurePolicy): boolean {
  if (checked === 'okAllowed') return true;
  if (checked === 'okDenied') return false;
  return policy === 'Ignore';
}
