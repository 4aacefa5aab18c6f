import type { RequestOptions } from 'node:https';
import { Pool } from 'undici';
import { connect } from '../../src/kube/connect.js';
import { KubeRest } from '../../src/kube/rest.js';
import { type Lab, load, log } from './lab.js';
import { median, round } from './stats.js';

const CONNECTIONS = 50;
const ROUNDS = 7;

interface Opening {
  /** this thread's CPU (user + system) while the connections opened and answered */
  cpuMs: number;
  wallMs: number;
  /** the longest the event loop went without running a 1 ms interval: what a start due then waited */
  longestStallMs: number;
}

/** Open CONNECTIONS connections at once with `opening`, measuring what it costs this thread. */
async function measure(opening: () => Promise<unknown>): Promise<Opening> {
  let longest = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 1);
    last = now;
  }, 1);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await opening();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  clearInterval(probe);
  return { cpuMs: (used.user + used.system) / 1000, wallMs, longestStallMs: longest };
}

const median1 = (values: number[]) => round(median(values), 1);

/**
 * What a new TLS connection to the API server costs the thread that starts the load, the pool growing
 * during a run: vitictl's KubeRest (one TLS context for all its connections) beside undici given the
 * kubeconfig's CA, certificate and key, which builds a context per connection. CONNECTIONS at once,
 * each a GET /version, ROUNDS alternating rounds in this process, against the lab's API server.
 */
export async function connectionCost(lab: Lab) {
  const connection = await connect({ kubeconfig: lab.state.kubeconfig, env: {} });
  const tls: RequestOptions = {};
  await connection.config.applyToHTTPSOptions(tls);
  const origin = new URL(connection.server).origin;
  const loadBefore = load();
  const rounds: Record<'vitictl' | 'contextPerConnection', Opening[]> = {
    vitictl: [],
    contextPerConnection: [],
  };
  for (let i = 0; i < ROUNDS; i++) {
    log(`connection cost, round ${i + 1} of ${ROUNDS}…`);
    const rest = await KubeRest.create(connection, { connections: CONNECTIONS });
    rounds.vitictl.push(
      await measure(async () => {
        if ((await rest.warm(CONNECTIONS)) !== CONNECTIONS) throw new Error('a warming request failed');
      }),
    );
    await rest.close();
    const pool = new Pool(origin, {
      connections: CONNECTIONS,
      pipelining: 1,
      connect: { ca: tls.ca, cert: tls.cert, key: tls.key },
    });
    rounds.contextPerConnection.push(
      await measure(() =>
        Promise.all(
          Array.from({ length: CONNECTIONS }, () =>
            pool.request({ method: 'GET', path: '/version' }).then((response) => response.body.text()),
          ),
        ),
      ),
    );
    await pool.close();
  }
  const figures = (openings: Opening[]) => ({
    cpuMsPerConnection: median1(openings.map((o) => o.cpuMs / CONNECTIONS)),
    longestStallMs: median1(openings.map((o) => o.longestStallMs)),
    wallMs: median1(openings.map((o) => o.wallMs)),
    rounds: openings.map((o) => ({
      cpuMs: round(o.cpuMs, 1),
      wallMs: round(o.wallMs, 1),
      longestStallMs: round(o.longestStallMs, 1),
    })),
  });
  const vitictl = figures(rounds.vitictl);
  const baseline = figures(rounds.contextPerConnection);
  return {
    method: `${CONNECTIONS} connections opened at once (a GET /version each) to the lab's API server with its kubeconfig's client certificate, ${ROUNDS} alternating rounds in one process: vitictl's KubeRest beside undici given the CA, certificate and key; medians`,
    connections: CONNECTIONS,
    vitictl,
    contextPerConnection: baseline,
    cpuRatio: round(vitictl.cpuMsPerConnection / baseline.cpuMsPerConnection, 2),
    load: { before: loadBefore, after: load() },
  };
}
