import autocannon from 'autocannon';
import { REVIEW_PREFIX } from './admission-review.js';
import {
  answerTooLarge,
  checkResponse,
  checkTransportError,
  MAX_ANSWER_BYTES,
  withDeadline,
} from './check-response.js';
import {
  cpuSince,
  type EngineProgress,
  type EngineTarget,
  type PhaseLimit,
  type PhaseRun,
  progressTicker,
} from './phase.js';
import { Tally } from './tally.js';
import { hostOf, portOf, requestPath, sniName } from './target.js';

export interface ClosedLoopOptions extends EngineTarget {
  connections: number;
}

export interface ClosedLoopRun extends PhaseRun {
  connections: number;
  /** autocannon's own histogram (1 ms resolution), for comparison with ours */
  autocannon: {
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    requests: number;
    errors: number;
    timeouts: number;
  };
}

/** The slice of autocannon's client we touch (9.x httpClient.js); untyped in @types/autocannon. */
interface WireClient {
  getRequestBuffer(): Buffer;
  requestIterator: { recordBody(request: unknown, status: number, body: string): void };
  /** appends each chunk of the answer's body to a string, however long */
  pipelinedRequests: { addBody(chunk: Buffer): void };
}

interface Wire {
  bytes: Buffer;
  uidAt: number;
}

/** Request bytes per body template, with a 36-byte hole for the uid: a request is one copy and a write. */
function wireFor(cache: Map<string, Wire>, head: string, tail: string): Wire {
  let wire = cache.get(tail);
  if (!wire) {
    const body = Buffer.byteLength(REVIEW_PREFIX) + 36 + Buffer.byteLength(tail);
    const start = `${head}${body}\r\n\r\n${REVIEW_PREFIX}`;
    const uidAt = Buffer.byteLength(start);
    wire = { bytes: Buffer.from(`${start}${'0'.repeat(36)}${tail}`), uidAt };
    cache.set(tail, wire);
  }
  return wire;
}

/**
 * The closed-loop engine: autocannon keeps C requests in flight (one per connection) for maximum
 * throughput. Each request is a fresh AdmissionReview: we hand autocannon the bytes to write
 * (getRequestBuffer, per client) instead of its setupRequest hook, whose per-request rebuild cost
 * ~15% of the generator's CPU, and take the answer's body from recordBody (onResponse would add a
 * header conversion per answer). Every answer is checked and timed by us (µs, request handed to the
 * socket → body complete), because autocannon's histogram has 1 ms resolution. autocannon never
 * verifies TLS: the caller runs the verified preflight first and records that only it was verified.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  limit: PhaseLimit,
  signal?: AbortSignal,
  onProgress?: (progress: EngineProgress) => void,
): Promise<ClosedLoopRun> {
  const { factory, type, target, connections } = options;
  const timeoutMs = options.timeoutSeconds * 1000;
  const tally = new Tally();
  let sent = 0;
  let firstStart = 0;
  let lastStart = 0;
  let lastAnswer = 0;
  const servername = sniName(target);
  const host = hostOf(target.url);
  const cpuStart = process.cpuUsage();
  const path = requestPath(target.url, options.timeoutSeconds);
  const hostHeader = target.url.host;
  // what autocannon's request builder would write, up to the Content-Length value
  const head = `POST ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: keep-alive\r\ncontent-type: application/json\r\naccept: application/json, */*\r\nContent-Length: `;
  let lastBody = '';
  const wires = new Map<string, Wire>();
  const amount = 'requests' in limit ? Math.max(limit.requests, connections) : undefined;
  let settle: { resolve(result: autocannon.Result): void; reject(error: unknown): void } | undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    settle = { resolve, reject };
  });

  const instance = autocannon(
    {
      url: `https://${host.includes(':') ? `[${host}]` : host}:${portOf(target.url)}`,
      connections,
      pipelining: 1,
      ...(amount === undefined
        ? { duration: (limit as { durationMs: number }).durationMs / 1000 }
        : { amount }),
      timeout: options.timeoutSeconds,
      // No overallRate/connectionRate, ever: with a rate, autocannon "corrects" for coordinated omission
      // with an expected interval of ceil(1/rate), seconds against latencies in milliseconds, so every
      // answer adds a made-up sample per millisecond it took. Without a rate it records what it measured
      // (and autocannon 9 refuses ignoreCoordinatedOmission).
      ...(servername !== undefined ? { servername } : {}),
      tlsOptions: {
        ...(target.cert !== undefined ? { cert: target.cert } : {}),
        ...(target.key !== undefined ? { key: target.key } : {}),
      },
      requests: [{ method: 'POST', path }],
      setupClient: (client) => {
        let uid = '';
        let start = 0;
        let outstanding = false;
        // a new request while one is outstanding: the connection ended without an answer, unless the
        // 'timeout' event that autocannon emits right after reconnecting claims it
        let orphan = false;
        const internals = client as unknown as WireClient;
        if (
          typeof internals.getRequestBuffer !== 'function' ||
          typeof internals.requestIterator?.recordBody !== 'function' ||
          typeof internals.pipelinedRequests?.addBody !== 'function'
        ) {
          throw new Error(
            'this autocannon version lacks getRequestBuffer/requestIterator.recordBody/pipelinedRequests.addBody (written for 9.x)',
          );
        }
        // past MAX_ANSWER_BYTES the answer is counted, not kept: a webhook sending megabytes per answer
        // would otherwise hold connections × its size in memory
        let answerBytes = 0;
        const pipelined = internals.pipelinedRequests;
        const addBody = pipelined.addBody.bind(pipelined);
        pipelined.addBody = (chunk) => {
          answerBytes += chunk.length;
          if (answerBytes <= MAX_ANSWER_BYTES) addBody(chunk);
        };
        internals.getRequestBuffer = () => {
          if (outstanding) {
            orphan = true;
            queueMicrotask(() => {
              if (!orphan) return;
              orphan = false;
              tally.count({ class: 'httpError', reason: 'connection closed without an answer' });
            });
          }
          const review = factory.next();
          uid = review.uid;
          const template = wireFor(wires, head, review.tail);
          const bytes = Buffer.allocUnsafe(template.bytes.length);
          template.bytes.copy(bytes);
          bytes.write(uid, template.uidAt, 'latin1');
          start = performance.now();
          answerBytes = 0;
          outstanding = true;
          if (sent === 0) firstStart = start;
          lastStart = start;
          sent++;
          return bytes;
        };
        // the answer's body, without the header conversion autocannon does for onResponse hooks;
        // read by the 'response' listener below, which autocannon calls right after, synchronously
        internals.requestIterator.recordBody = (_request, _status, body) => {
          lastBody = body;
        };
        // @types/autocannon lags: these events exist on the client but are not typed
        const events: NodeJS.EventEmitter = client;
        events.on('response', (status: number) => {
          const now = performance.now();
          const elapsed = now - start;
          outstanding = false;
          lastAnswer = now;
          const checked =
            answerBytes > MAX_ANSWER_BYTES ? answerTooLarge() : checkResponse(uid, type, status, lastBody);
          tally.record(elapsed * 1000, withDeadline(checked, elapsed, timeoutMs));
        });
        events.on('connError', (error: unknown) => {
          if (!outstanding) return;
          outstanding = false;
          tally.count(checkTransportError(error));
        });
        events.on('timeout', () => {
          if (!orphan) return;
          orphan = false;
          tally.record(timeoutMs * 1000, { class: 'timeout', reason: 'no answer within timeoutSeconds' });
        });
      },
    },
    (error, result) => (error ? settle?.reject(error) : settle?.resolve(result)),
  );
  const stopProgress = progressTicker(onProgress, () => ({
    sent,
    completed: tally.ended,
    inFlight: Math.max(0, sent - tally.ended),
  }));
  const onAbort = () => instance.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  let result: autocannon.Result;
  try {
    result = await finished;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopProgress();
  }
  return {
    tally,
    sent,
    unanswered: Math.max(0, sent - tally.ended),
    startSpanMs: lastStart - firstStart,
    spanMs: Math.max(lastAnswer, lastStart) - firstStart,
    interrupted: signal?.aborted === true,
    cpu: cpuSince(cpuStart),
    connections,
    autocannon: {
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      requests: result.requests.total,
      errors: result.errors,
      timeouts: result.timeouts,
    },
  };
}
