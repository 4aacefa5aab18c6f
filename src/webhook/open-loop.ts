import { setTimeout as sleep } from 'node:timers/promises';
import type { Histogram } from 'hdr-histogram-js';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { openCpuWaitClock } from '../load/cpu-wait.js';
import { waitUntilDue } from '../load/pace.js';
import { EvenSchedule } from '../load/rate-limiter.js';
import { StartLateness } from '../load/start-lateness.js';
import { newHistogram, recordMs } from '../report/histogram.js';
import type { Pacing } from '../report/sections/pacing.js';
import {
  answeredLate,
  answerTooLarge,
  type Checked,
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
import { hostOf, portOf, requestPath, tlsOptions } from './target.js';

/** A start later than this behind its intended time counts as the generator falling behind. */
const LATE_MS = 10;
const WINDOW_MS = 10;
/**
 * Calls started and not yet ended (on a connection or queued in the pool for one): each holds its
 * body, so a stalled webhook at a high rate would otherwise grow memory by rate × timeoutSeconds.
 * At the bound the generator waits; the starts it delays are late, and timed from their intended start.
 */
const MAX_IN_FLIGHT = 50_000;

export interface OpenLoopOptions extends EngineTarget {
  rate: number;
  /** most connections the pool opens; more requests wait in it (and that wait is latency) */
  connections: number;
  /** most calls started and not ended (default MAX_IN_FLIGHT) */
  maxInFlight?: number;
}

export interface OpenLoopRun extends PhaseRun {
  requestedRate: number;
  /** answer − actual send, µs: wrk2's "uncorrected" latency, beside the corrected one in the tally */
  uncorrected: Histogram;
  /** actual send − intended start: the generator's own lateness (timer granularity, a busy loop, a busy host) */
  pacing: Pacing;
  lateStarts: number;
  maxLagMs: number;
  maxStartsIn10ms: number;
}

/** Starts in the last WINDOW_MS: the most seen, and how long until there is room for one more. */
class StartWindow {
  private readonly times: number[] = [];
  private head = 0;
  max = 0;

  private evict(now: number): number {
    while (this.head < this.times.length && now - (this.times[this.head] as number) >= WINDOW_MS) this.head++;
    if (this.head > 4096) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  /** ms to wait before a start keeps the window at most `cap` (0: go now) */
  waitFor(now: number, cap: number): number {
    if (this.evict(now) < cap) return 0;
    return (this.times[this.head] as number) + WINDOW_MS - now;
  }

  add(now: number): void {
    this.times.push(now);
    const count = this.evict(now);
    if (count > this.max) this.max = count;
  }
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, */*' };

/**
 * The open-loop engine (wrk2's model) on undici: start k is due at t0 + k/R whatever the server
 * does, and its latency is answer time − intended start, so a stall shows up as latency of every
 * request that should have started during it, not as missing samples. HTTP/1.1 keep-alive, TLS
 * verified on every connection (unless --insecure-skip-tls-verify).
 */
export class OpenLoop {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: OpenLoopOptions) {
    const { target } = options;
    this.timeoutMs = options.timeoutSeconds * 1000;
    this.path = requestPath(target.url, options.timeoutSeconds);
    const host = hostOf(target.url);
    this.pool = new Pool(`https://${host.includes(':') ? `[${host}]` : host}:${portOf(target.url)}`, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: tlsOptions(target),
    });
  }

  async run(
    limit: PhaseLimit,
    signal?: AbortSignal,
    onProgress?: (progress: EngineProgress) => void,
  ): Promise<OpenLoopRun> {
    const { factory, type, rate } = this.options;
    const maxInFlight = this.options.maxInFlight ?? MAX_IN_FLIGHT;
    const timeoutMs = this.timeoutMs;
    const tally = new Tally();
    const uncorrected = newHistogram();
    const window = new StartWindow();
    // after a stall (GC, a busy event loop) the backlog leaves at most 1.5× the even share per window,
    // never as one burst; each late start is still timed from its intended start
    const cap = Math.max(2, Math.floor((1.5 * rate * WINDOW_MS) / 1000));
    const pool = this.pool;
    const path = this.path;
    let sent = 0;
    let inFlight = 0;
    let lateStarts = 0;
    let maxLagMs = 0;
    let firstStart = 0;
    let lastStart = 0;
    let lastAnswer = 0;
    let draining = false;
    let over = false;
    let wakeDrain: (() => void) | undefined;

    const finish = (intended: number, start: number, checked: Checked) => {
      // an answer after the drain gave up belongs to no phase
      if (over) return;
      const now = performance.now();
      tally.record((now - intended) * 1000, withDeadline(checked, now - start, timeoutMs));
      recordMs(uncorrected, now - start);
      lastAnswer = now;
      inFlight--;
      if (draining && inFlight === 0) wakeDrain?.();
    };

    const fire = (intended: number, now: number) => {
      const review = factory.next();
      const uid = review.uid;
      const chunks: Buffer[] = [];
      let bytes = 0;
      let status = 0;
      let done = false;
      inFlight++;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          // waited for a free connection past the deadline: the API server would have given up
          if (performance.now() - now > timeoutMs) {
            controller.abort(Object.assign(new Error('deadline passed in the queue'), { code: 'ETIMEDOUT' }));
          }
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(controller, chunk) {
          if (done) return;
          bytes += chunk.length;
          // undici's bodyTimeout is the gap between chunks: a body that drips never reaches it
          const overdue = performance.now() - now > timeoutMs;
          if (bytes > MAX_ANSWER_BYTES || overdue) {
            done = true;
            chunks.length = 0;
            controller.abort(new Error('answer cut off'));
            finish(intended, now, overdue ? answeredLate() : answerTooLarge());
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (done) return;
          done = true;
          const body =
            chunks.length === 1
              ? (chunks[0] as Buffer).toString('utf8')
              : Buffer.concat(chunks).toString('utf8');
          finish(intended, now, checkResponse(uid, type, status, body));
        },
        onResponseError(_controller, error) {
          if (done) return;
          done = true;
          finish(intended, now, checkTransportError(error));
        },
      };
      pool.dispatch({ path, method: 'POST', headers: HEADERS, body: review.body }, handler);
    };

    // a duration at a fixed rate is a number of starts; counting them avoids float drift at the edge
    const planned = 'requests' in limit ? limit.requests : Math.ceil((limit.durationMs * rate) / 1000 - 1e-9);
    // opened on the thread that starts the calls: the file names the thread that opens it
    const cpuWait = openCpuWaitClock();
    const lateness = new StartLateness(cpuWait, maxInFlight);
    const cpuStart = process.cpuUsage();
    const t0 = performance.now();
    const schedule = new EvenSchedule(rate, Number.POSITIVE_INFINITY, t0);
    const stopProgress = progressTicker(onProgress, () => ({ sent, completed: tally.ended, inFlight }));
    let interrupted = false;
    // turns without an await (blocking waits, synchronous failures): yield now and then regardless
    let unyielded = 0;
    try {
      for (;;) {
        if (++unyielded > 64) {
          unyielded = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (signal?.aborted) {
          interrupted = true;
          break;
        }
        const now = performance.now();
        const room = window.waitFor(now, cap);
        if (room > 0) {
          unyielded = 0;
          await sleep(room);
          continue;
        }
        if (inFlight >= maxInFlight) {
          unyielded = 0;
          await sleep(1);
          lateness.held(now, performance.now());
          continue;
        }
        const step = schedule.next(now);
        if (!step.go) {
          unyielded = 0;
          await waitUntilDue(step.waitMs, inFlight === 0);
          continue;
        }
        if (sent >= planned) break;
        const lag = now - step.intended;
        lateness.record(step.intended, now);
        if (lag > LATE_MS) lateStarts++;
        if (lag > maxLagMs) maxLagMs = lag;
        if (sent === 0) firstStart = now;
        lastStart = now;
        window.add(now);
        sent++;
        fire(step.intended, now);
      }
      if (inFlight > 0) {
        draining = true;
        // undici's own timeouts end every call by timeoutSeconds; this bound is a safety net
        const drainMs = interrupted ? 2000 : timeoutMs + 2000;
        const stopTimer = new AbortController();
        await Promise.race([
          new Promise<void>((resolve) => {
            wakeDrain = resolve;
          }),
          sleep(drainMs, undefined, { signal: stopTimer.signal }).catch(() => {}),
        ]);
        stopTimer.abort();
      }
    } finally {
      stopProgress();
      cpuWait?.close();
      over = true;
    }
    return {
      tally,
      sent,
      unanswered: inFlight,
      startSpanMs: lastStart - firstStart,
      spanMs: Math.max(lastAnswer, lastStart) - firstStart,
      interrupted,
      cpu: cpuSince(cpuStart),
      requestedRate: rate,
      uncorrected,
      pacing: lateness.summary(),
      lateStarts,
      maxLagMs,
      maxStartsIn10ms: window.max,
    };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
