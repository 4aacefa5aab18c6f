import { createHash, randomUUID } from 'node:crypto';
import { usageError } from '../errors.js';
import type { KubeObject } from '../scenario/expand.js';

/**
 * AdmissionReview v1 requests as the API server builds them (CreateV1AdmissionReview): a fresh
 * request.uid per call, kind/resource and requestKind/requestResource, name, namespace, operation,
 * userInfo, object/oldObject, dryRun and options. Bodies are pre-serialised around the uid so a call
 * costs one UUID and one string concatenation.
 */

export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type OperationWeights = Record<Operation, number>;

export const DEFAULT_OPERATIONS: OperationWeights = { CREATE: 100, UPDATE: 0, DELETE: 0 };

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** plural resource name */
  resource: string;
  namespaced: boolean;
}

export interface ReviewSource {
  object: KubeObject;
  resource: ResourceInfo;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

const DEFAULT_USER: UserInfo = {
  username: 'vitictl-webhook-bench',
  groups: ['system:authenticated'],
};

export interface ReviewOptions {
  operations: OperationWeights;
  /** fraction of requests with dryRun: true (0–1) */
  dryRunShare: number;
  userInfo?: UserInfo;
}

export interface Review {
  uid: string;
  operation: Operation;
  dryRun: boolean;
  body: string;
  /** the body after the uid; the same string for the same object, operation and dryRun */
  tail: string;
}

/** "CREATE=80,UPDATE=15,DELETE=5" (a bare name weighs 1) → weights; usage errors name the part. */
export function parseOperations(text: string): OperationWeights {
  const weights: OperationWeights = { CREATE: 0, UPDATE: 0, DELETE: 0 };
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const [rawName, rawWeight] = trimmed.split('=', 2) as [string, string | undefined];
    const name = rawName.trim().toUpperCase();
    if (!(OPERATIONS as readonly string[]).includes(name)) {
      throw usageError(
        `--operations: unknown operation "${rawName.trim()}"`,
        'use CREATE, UPDATE and DELETE with weights, e.g. CREATE=80,UPDATE=15,DELETE=5',
      );
    }
    const weight = rawWeight === undefined ? 1 : Number(rawWeight);
    if (rawWeight !== undefined && (rawWeight.trim() === '' || !Number.isFinite(weight) || weight < 0)) {
      throw usageError(`--operations: weight of ${name} must be a number ≥ 0 (got "${rawWeight}")`);
    }
    weights[name as Operation] += weight;
  }
  if (OPERATIONS.every((op) => weights[op] === 0)) {
    throw usageError('--operations: at least one operation needs a weight above 0');
  }
  return weights;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** group/version/kind/plural for an object, from its CRD (or a guessed plural for other kinds). */
export function resourceInfo(object: KubeObject, plural: string, namespaced: boolean): ResourceInfo {
  return { ...splitApiVersion(object.apiVersion), kind: object.kind, resource: plural, namespaced };
}

/** English plural as Kubernetes' RESTMapper guesses it (UnsafeGuessKindToResource). */
export function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s') || lower.endsWith('x') || lower.endsWith('z') || lower.endsWith('ch')) {
    return `${lower}es`;
  }
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

const FIXED_TIME = '2026-01-01T00:00:00Z';

/** The object as the API server holds it: uid, resourceVersion, generation, creationTimestamp. */
function stored(object: KubeObject, generation: number): KubeObject {
  const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
  const hex = createHash('sha1').update(key).digest('hex');
  const uid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      uid,
      resourceVersion: String(1000 + generation),
      generation,
      creationTimestamp: FIXED_TIME,
    } as KubeObject['metadata'],
  };
}

function optionsFor(operation: Operation, dryRun: boolean): Record<string, unknown> {
  const dry = dryRun ? { dryRun: ['All'] } : {};
  if (operation === 'DELETE') {
    return { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...dry, propagationPolicy: 'Background' };
  }
  const kind = operation === 'CREATE' ? 'CreateOptions' : 'UpdateOptions';
  return { kind, apiVersion: 'meta.k8s.io/v1', ...dry, fieldManager: 'vitictl' };
}

/** The request fields after the uid, in CreateV1AdmissionReview's order. */
function requestFields(
  source: ReviewSource,
  operation: Operation,
  dryRun: boolean,
  userInfo: UserInfo,
): Record<string, unknown> {
  const { object, resource } = source;
  const gvk = { group: resource.group, version: resource.version, kind: resource.kind };
  const gvr = { group: resource.group, version: resource.version, resource: resource.resource };
  return {
    kind: gvk,
    resource: gvr,
    requestKind: gvk,
    requestResource: gvr,
    name: object.metadata.name,
    ...(resource.namespaced && object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    operation,
    userInfo,
    object: operation === 'CREATE' ? object : operation === 'UPDATE' ? stored(object, 2) : null,
    oldObject: operation === 'CREATE' ? null : stored(object, 1),
    dryRun,
    options: optionsFor(operation, dryRun),
  };
}

/** every body starts with this, then the uid (36 characters), then the tail */
export const REVIEW_PREFIX =
  '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"';

/**
 * Hands out AdmissionReview bodies: sources round-robin, operations by smooth weighted round-robin
 * (exact shares, evenly interleaved), dryRun on an exact share. Deterministic apart from the uid.
 */
export class ReviewFactory {
  private readonly tails: (string | undefined)[];
  private readonly userInfo: UserInfo;
  private readonly ops: { op: Operation; weight: number; current: number }[];
  private readonly totalWeight: number;
  private next_ = 0;
  private dryAccumulator = 0;
  readonly issued: Record<Operation, number> = { CREATE: 0, UPDATE: 0, DELETE: 0 };
  dryRunIssued = 0;

  constructor(
    private readonly sources: ReadonlyArray<ReviewSource>,
    private readonly options: ReviewOptions,
  ) {
    if (sources.length === 0) throw usageError('no objects to send to the webhook');
    if (!(options.dryRunShare >= 0 && options.dryRunShare <= 1)) {
      throw usageError(`--dry-run-share must be between 0 and 1 (got ${options.dryRunShare})`);
    }
    this.userInfo = options.userInfo ?? DEFAULT_USER;
    this.ops = OPERATIONS.filter((op) => options.operations[op] > 0).map((op) => ({
      op,
      weight: options.operations[op],
      current: 0,
    }));
    if (this.ops.length === 0) throw usageError('no operation has a weight above 0');
    this.totalWeight = this.ops.reduce((sum, entry) => sum + entry.weight, 0);
    this.tails = new Array(sources.length * OPERATIONS.length * 2);
  }

  get sourceCount(): number {
    return this.sources.length;
  }

  private pickOperation(): Operation {
    let best = this.ops[0] as (typeof this.ops)[number];
    for (const entry of this.ops) {
      entry.current += entry.weight;
      if (entry.current > best.current) best = entry;
    }
    best.current -= this.totalWeight;
    return best.op;
  }

  private tail(index: number, operation: Operation, dryRun: boolean): string {
    const slot = (index * OPERATIONS.length + OPERATIONS.indexOf(operation)) * 2 + (dryRun ? 1 : 0);
    let tail = this.tails[slot];
    if (tail === undefined) {
      const source = this.sources[index] as ReviewSource;
      // '{"kind":…}' → '","kind":…}}': the uid's closing quote, the fields, and the review's brace
      tail = `",${JSON.stringify(requestFields(source, operation, dryRun, this.userInfo)).slice(1)}}`;
      this.tails[slot] = tail;
    }
    return tail;
  }

  next(): Review {
    const index = this.next_;
    this.next_ = (index + 1) % this.sources.length;
    const operation = this.pickOperation();
    this.dryAccumulator += this.options.dryRunShare;
    const dryRun = this.dryAccumulator >= 1 - 1e-9;
    if (dryRun) this.dryAccumulator -= 1;
    this.issued[operation]++;
    if (dryRun) this.dryRunIssued++;
    const uid = randomUUID();
    const tail = this.tail(index, operation, dryRun);
    return { uid, operation, dryRun, body: REVIEW_PREFIX + uid + tail, tail };
  }

  resetCounts(): void {
    for (const op of OPERATIONS) this.issued[op] = 0;
    this.dryRunIssued = 0;
  }
}
