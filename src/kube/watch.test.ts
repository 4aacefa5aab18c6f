import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useLocalServers } from '../../test/helpers/local-server.js';
import type { ApiResource } from './discovery.js';
import { ResumableWatch, type WatchHandlers } from './watch.js';

const { https } = useLocalServers();

const configMaps: ApiResource = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  group: '',
  version: 'v1',
  plural: 'configmaps',
  namespaced: true,
  verbs: ['list', 'watch'],
};

const emptyList = (response: ServerResponse) =>
  response.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '7' }, items: [] }));

function recorder() {
  const events: string[] = [];
  const handlers: WatchHandlers = {
    onEvent: (type, object) => events.push(`${type} ${object.metadata?.name}`),
    onRelist: () => undefined,
    onGap: () => undefined,
  };
  return { events, handlers };
}

/** How a start() ended, and how long after the interrupt. */
async function settleAfterAbort(start: Promise<void>, controller: AbortController) {
  const outcome = start.then(
    () => 'opened',
    (error: Error) => error.message,
  );
  const abortedAt = performance.now();
  controller.abort();
  const said = await outcome;
  return { said, ms: performance.now() - abortedAt };
}

describe('ResumableWatch.start and an interrupt', () => {
  it('an interrupt while the first stream cannot connect ends start(): it rejects and retries no more', async () => {
    let watchAttempts = 0;
    const { rest } = await https((request, response) => {
      if (request.url?.includes('watch=1')) {
        watchAttempts++;
        request.socket.destroy();
      } else emptyList(response);
    });
    const watch = new ResumableWatch(rest, configMaps, undefined, 'run=a', recorder().handlers);
    const controller = new AbortController();
    const start = watch.start(controller.signal);
    while (watchAttempts < 2) await sleep(10);
    const { said, ms } = await settleAfterAbort(start, controller);
    expect(said).toBe('watch configmaps stopped before it opened');
    expect(ms).toBeLessThan(1000);
    await watch.stop();
    const attemptsAtStop = watchAttempts;
    await sleep(500);
    expect(watchAttempts).toBe(attemptsAtStop);
  });

  it('an interrupt while the list gets no answer ends start()', async () => {
    let listed = false;
    const { rest } = await https(() => {
      listed = true;
    });
    const watch = new ResumableWatch(rest, configMaps, 'ns-1', 'run=a', recorder().handlers);
    const controller = new AbortController();
    const start = watch.start(controller.signal);
    while (!listed) await sleep(10);
    const { said, ms } = await settleAfterAbort(start, controller);
    expect(said).toMatch(/^cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: /);
    expect(ms).toBeLessThan(1000);
    await watch.stop();
  });

  it('once the stream is open, the interrupt no longer stops the watch: events still arrive', async () => {
    let stream: ServerResponse | undefined;
    const { rest } = await https((request, response) => {
      if (!request.url?.includes('watch=1')) return emptyList(response);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
      stream = response;
    });
    const { events, handlers } = recorder();
    const watch = new ResumableWatch(rest, configMaps, undefined, 'run=a', handlers);
    const controller = new AbortController();
    await watch.start(controller.signal);
    controller.abort();
    const object = { metadata: { name: 'cm-1', resourceVersion: '8' } };
    stream!.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    while (events.length === 0) await sleep(10);
    expect(events).toEqual(['ADDED cm-1']);
    await watch.stop();
  });
});
