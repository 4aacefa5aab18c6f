import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { VitictlError } from '../../errors.js';
import type { RawResponse, ThreadRequest } from '../../kube/rest.js';
import { compileGoRegexp } from '../../util/go-regexp.js';
import { bodyDeadline, readBodyBounded, TooLargeError } from '../../util/read-bounded.js';
import { lowerThisThread } from '../../util/thread-priority.js';
import type { GetInit } from '../target.js';
import { targetsDecoder } from './decode.js';
import { fetchBody, ScrapeStatusError } from './fetch-body.js';
import type { ScrapeReply, ScrapeRequest, SelectPattern, WireError } from './thread-scraper.js';

/**
 * Scrapes off the main thread: sends each GET as its target would, reads the body and encodes the
 * selected families into batches, one encoder and one connection pool per target, so a multi-MiB
 * exposition (the API server's) neither stalls the load's schedule nor crosses back as objects.
 */
// a scrape shares the cores with the load's thread: on a busy host it waits, and the starts do not
lowerThisThread();

const pattern = workerData as SelectPattern | undefined;
const select = pattern ? compileGoRegexp(pattern.source) : undefined;
const decode = targetsDecoder(select);
const agents = new Map<string, Agent>();

function agentFor(target: string, tls: ThreadRequest['tls']): Agent {
  let agent = agents.get(target);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 30_000, connect: tls });
    agents.set(target, agent);
  }
  return agent;
}

async function send(scrape: ScrapeRequest, init: GetInit): Promise<RawResponse> {
  const { url, headers, tls } = scrape.request;
  const timeoutMs = init.timeoutMs ?? scrape.timeoutMs;
  const deadline = bodyDeadline(timeoutMs);
  const response = await request(url, {
    dispatcher: agentFor(scrape.target, tls),
    headers: { ...headers, accept: init.accept ?? '*/*' },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: await readBodyBounded(
      response.body,
      response.headers['content-length'],
      init.limit.maxBytes,
      deadline,
    ),
  };
}

function fetchFailure(error: unknown): WireError {
  if (error instanceof ScrapeStatusError)
    return { kind: 'status', status: error.status, message: error.message };
  if (error instanceof TooLargeError)
    return { kind: 'too-large', maxBytes: error.maxBytes, seen: error.seen };
  if (error instanceof VitictlError)
    return {
      kind: 'vitictl',
      errorKind: error.kind,
      message: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      ...(error.location === undefined ? {} : { location: error.location }),
    };
  const { name, message, code, cause } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  return {
    kind: 'network',
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : String(error),
    ...(typeof code === 'string' ? { code } : {}),
    ...(cause
      ? {
          cause: {
            ...(typeof cause.code === 'string' ? { code: cause.code } : {}),
            ...(typeof cause.message === 'string' ? { message: cause.message } : {}),
          },
        }
      : {}),
  };
}

async function answer(scrape: ScrapeRequest): Promise<ScrapeReply> {
  const { id, target, where, timeoutMs, limit } = scrape;
  let fetched: Awaited<ReturnType<typeof fetchBody>>;
  try {
    fetched = await fetchBody(
      { where: () => where, get: (_path, init) => send(scrape, init) },
      '',
      timeoutMs,
      limit,
    );
  } catch (error) {
    return { id, error: fetchFailure(error) };
  }
  try {
    return { id, decoded: decode(target, fetched.body, fetched.format, limit.maxBytes) };
  } catch (error) {
    return {
      id,
      error: { kind: 'exposition', message: error instanceof Error ? error.message : String(error) },
    };
  }
}

parentPort?.on('message', (scrape: ScrapeRequest) => {
  void answer(scrape).then((reply) =>
    parentPort?.postMessage(
      reply,
      'decoded' in reply
        ? [reply.decoded.batch.ids.buffer as ArrayBuffer, reply.decoded.batch.values.buffer as ArrayBuffer]
        : [],
    ),
  );
});
