// The baseline for vitictl's pacing: the plainest open-loop generator Node can be, in its own process.
// An absolute schedule (start k due at t0 + k/R), a timer to each start (an immediate when under a
// millisecond), node:https with a keep-alive pool, nothing tracked, answers only counted; no vitictl
// code on the sending path. Like vitictl, it opens the connections ⌈R × 50 ms⌉ creates keep busy
// before its first start (GET /version that many at once). Its lateness is measured with vitictl's own
// ruler (StartLateness on this thread's run-queue wait), so the two differ only in the generator.
//   node --import tsx bench/apply/bare-pacer.ts SERVER PKI_DIR NAMESPACE RATE COUNT
// Prints one JSON line: the pacing summary, the answers by status, and the wall seconds; then deletes
// what it made.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCpuWaitClock } from '../../src/load/cpu-wait.js';
import { StartLateness } from '../../src/load/start-lateness.js';

const [server, pki, namespace, rateText, countText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const rate = Number(rateText);
const count = Number(countText);
const url = new URL(server);
const agent = new Agent({
  keepAlive: true,
  maxSockets: 64,
  ca: readFileSync(join(pki, 'ca.crt')),
  cert: readFileSync(join(pki, 'admin.crt')),
  key: readFileSync(join(pki, 'admin.key')),
});
const statuses: Record<string, number> = {};

function call(method: 'GET' | 'POST' | 'DELETE', path: string, body = ''): Promise<number> {
  return new Promise((resolve) => {
    const sent = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    sent.on('error', () => resolve(0));
    sent.end(body);
  });
}

await call('POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: namespace } }));
await Promise.all(Array.from({ length: Math.ceil(rate * 0.05) }, () => call('GET', '/version')));
const clock = openCpuWaitClock();
// it holds no start back: its in-flight calls are not bounded
const lateness = new StartLateness(clock, Number.MAX_SAFE_INTEGER);
const path = `/api/v1/namespaces/${namespace}/configmaps`;
const answers: Array<Promise<void>> = [];
const t0 = performance.now();
const began = Date.now();
for (let k = 0; k < count; k++) {
  const due = t0 + (k * 1000) / rate;
  for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) {
    if (wait >= 1) await sleep(wait);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  lateness.record(due, performance.now());
  const body = JSON.stringify({ metadata: { name: `c-${k}` }, data: { index: `i-${k}` } });
  answers.push(
    call('POST', path, body).then((status) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
}
await Promise.all(answers);
clock?.close();
const seconds = (Date.now() - began) / 1000;
// its objects go before the next measurement, deleted by the server in one call, not in the background
await call('DELETE', path);
await call('DELETE', `/api/v1/namespaces/${namespace}`);
agent.destroy();
process.stdout.write(`${JSON.stringify({ pacing: lateness.summary(), statuses, seconds })}\n`);
