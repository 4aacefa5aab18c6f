// The apply bench, part: creation throughput: 5,000 Machines, no client-side limit, vitictl beside kubectl apply -f, a kubectl loop and the API server's ceiling.
import { join } from 'node:path';
import { RUN_ID_LABEL } from '../../src/kube/labels.js';
import { bin, median } from '../lib.js';
import { type CeilingObject, ceilingRun } from './ceiling.js';
import {
  applyMachines,
  generate,
  kubectl,
  kubectlDelete,
  type Lab,
  load,
  log,
  MINUTE,
  phaseSeconds,
} from './lab.js';
import { must, run } from './proc.js';
import { round } from './stats.js';

const MACHINES = 5_000;
const CONCURRENCIES = [16, 64] as const;
const ROUNDS = 3;
const LOOP_OBJECTS = 300;
const CEILING_CONNECTIONS = 64;
const CEILING_CONCURRENCY = 64;

async function ceiling(lab: Lab, runId: string) {
  const generated = generate(lab, MACHINES, runId);
  kubectl(
    lab,
    ['apply', '-f', '-'],
    2 * MINUTE,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generated.namespaces }),
  );
  const objects: CeilingObject[] = generated.machines.map((machine) => {
    const { name: _name, ...metadata } = machine.metadata;
    return {
      namespace: machine.metadata.namespace,
      body: JSON.stringify({ ...machine, metadata: { ...metadata, generateName: 'machine-' } }),
    };
  });
  const loadBefore = load();
  const result = await ceilingRun({
    server: lab.server,
    pkiDir: lab.pki,
    objects,
    connections: CEILING_CONNECTIONS,
    concurrency: CEILING_CONCURRENCY,
  });
  const loadAfter = load();
  // delete: one deletecollection per namespace
  const start = performance.now();
  const selector = encodeURIComponent(`${RUN_ID_LABEL}=${runId}`);
  for (const namespace of generated.namespaces) {
    kubectl(
      lab,
      [
        'delete',
        '--raw',
        `/apis/vitistack.io/v1alpha1/namespaces/${namespace.metadata.name}/machines?labelSelector=${selector}`,
      ],
      10 * MINUTE,
    );
  }
  kubectl(lab, ['delete', 'namespaces', '-l', `${RUN_ID_LABEL}=${runId}`, '--wait=false'], 2 * MINUTE);
  const left = kubectl(
    lab,
    ['get', 'machines', '-A', '-l', `${RUN_ID_LABEL}=${runId}`, '-o', 'name'],
    2 * MINUTE,
  );
  return {
    runId,
    ...result,
    deleteSeconds: round((performance.now() - start) / 1000, 2),
    leftAfterDelete: left.stdout.split('\n').filter((line) => line !== '').length,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

function vitictlThroughput(lab: Lab, concurrency: number, repeat: number) {
  const runId = `bench-c${concurrency}-${repeat}`;
  const loadBefore = load();
  const { result, seconds } = applyMachines(
    lab,
    MACHINES,
    runId,
    ['--no-wait', '--concurrency', String(concurrency), '-q'],
    15 * MINUTE,
  );
  const apply = result.apply;
  if (!apply || apply.counts.created !== MACHINES) {
    throw new Error(`vitictl ${runId}: created ${apply?.counts.created} of ${MACHINES}`);
  }
  const cleanup = phaseSeconds(result, 'cleanup') ?? 0;
  return {
    runId,
    concurrency,
    createThroughput: apply.createThroughput,
    creationSeconds: apply.creation.seconds,
    wallSeconds: seconds,
    wallWithoutCleanupSeconds: round(seconds - cleanup, 2),
    wholeCommandObjectsPerSecond: round(MACHINES / (seconds - cleanup), 1),
    cleanupSeconds: cleanup,
    cleanupDeleted: result.cleanup?.deleted ?? null,
    createLatencyMs: {
      p50: apply.latency.create.p50,
      p99: apply.latency.create.p99,
      max: apply.latency.create.max,
    },
    errors: apply.errors,
    retries: apply.retries,
    loadAverage: { before: loadBefore, after: load() },
  };
}

async function kubectlApplyFile(lab: Lab, runId: string) {
  const file = join(lab.dir, 'kubectl-machines.yaml');
  must(
    'node',
    [bin, 'scenario', 'generate', 'machines', '--count', String(MACHINES), '--run-id', runId, '--out', file],
    {
      env: lab.env,
      timeoutMs: 2 * MINUTE,
    },
  );
  kubectl(lab, ['api-resources'], 2 * MINUTE); // a warm discovery cache, as a user's would be
  const loadBefore = load();
  const ran = kubectl(lab, ['apply', '-f', file], 30 * MINUTE);
  const loadAfter = load();
  const created = ran.stdout.split('\n').filter((line) => / created$/.test(line)).length;
  if (created !== MACHINES + 10)
    throw new Error(`kubectl apply -f: ${created} created, expected ${MACHINES + 10}`);
  const deleted = await kubectlDelete(lab, runId);
  return {
    objects: MACHINES,
    namespaces: 10,
    seconds: round(ran.ms / 1000, 2),
    objectsPerSecond: round(MACHINES / (ran.ms / 1000), 1),
    deleteSeconds: deleted.seconds,
    deleted: deleted.deleted,
    leftAfterDelete: deleted.left,
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

async function kubectlLoop(lab: Lab) {
  const generated = generate(lab, LOOP_OBJECTS, 'bench-loop');
  kubectl(
    lab,
    ['apply', '-f', '-'],
    2 * MINUTE,
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: generated.namespaces }),
  );
  const loadBefore = load();
  const start = performance.now();
  for (const machine of generated.machines)
    kubectl(lab, ['apply', '-f', '-'], MINUTE, JSON.stringify(machine));
  const ms = performance.now() - start;
  const loadAfter = load();
  await kubectlDelete(lab, 'bench-loop');
  return {
    objects: generated.machines.length,
    seconds: round(ms / 1000, 2),
    objectsPerSecond: round(generated.machines.length / (ms / 1000), 1),
    msPerObject: round(ms / generated.machines.length, 1),
    loadAverage: { before: loadBefore, after: loadAfter },
  };
}

export async function throughput(lab: Lab) {
  const versions = run('kubectl', ['version', '-o', 'json'], { env: lab.env, timeoutMs: MINUTE });
  let kubectlVersion: unknown = null;
  try {
    const parsed = JSON.parse(versions.stdout) as {
      clientVersion?: { gitVersion?: string };
      serverVersion?: { gitVersion?: string };
    };
    kubectlVersion = { client: parsed.clientVersion?.gitVersion, server: parsed.serverVersion?.gitVersion };
  } catch {
    kubectlVersion = versions.stdout.slice(0, 200);
  }
  // paired rounds: the box is shared, so each round measures every client back to back and the
  // ratios are taken within a round
  const rounds: Array<{
    round: number;
    ceiling: Awaited<ReturnType<typeof ceiling>>;
    vitictl: Array<ReturnType<typeof vitictlThroughput>>;
    kubectlApplyFile: Awaited<ReturnType<typeof kubectlApplyFile>>;
  }> = [];
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    log(`round ${round_}: ceiling…`);
    const ceilingRun_ = await ceiling(lab, `bench-ceiling-${round_}`);
    const vitictlRuns: Array<ReturnType<typeof vitictlThroughput>> = [];
    for (const concurrency of CONCURRENCIES) {
      log(`round ${round_}: vitictl C=${concurrency}…`);
      vitictlRuns.push(vitictlThroughput(lab, concurrency, round_));
    }
    log(`round ${round_}: kubectl apply -f…`);
    const kubectlFile = await kubectlApplyFile(lab, `bench-kubectl-${round_}`);
    rounds.push({ round: round_, ceiling: ceilingRun_, vitictl: vitictlRuns, kubectlApplyFile: kubectlFile });
  }
  log(`kubectl apply loop (${LOOP_OBJECTS})…`);
  const loop = await kubectlLoop(lab);

  const throughputOf = (round_: (typeof rounds)[number], concurrency: number) =>
    round_.vitictl.find((r) => r.concurrency === concurrency)?.createThroughput ?? 0;
  const medianByC = Object.fromEntries(
    CONCURRENCIES.map((concurrency) => [
      concurrency,
      median(rounds.map((r) => throughputOf(r, concurrency))),
    ]),
  ) as Record<number, number>;
  const bestC = CONCURRENCIES.reduce((a, b) => ((medianByC[b] ?? 0) > (medianByC[a] ?? 0) ? b : a));
  const perRound = rounds.map((r) => {
    const best = throughputOf(r, bestC);
    return {
      round: r.round,
      vitictl: best,
      ceiling: r.ceiling.createsPerSecond,
      kubectlApplyFile: r.kubectlApplyFile.objectsPerSecond,
      vitictlOverCeiling: round(best / r.ceiling.createsPerSecond, 3),
      vitictlOverKubectlApplyFile: round(best / r.kubectlApplyFile.objectsPerSecond, 2),
    };
  });
  const vsCeiling = median(perRound.map((r) => r.vitictlOverCeiling));
  const vsKubectl = median(perRound.map((r) => r.vitictlOverKubectlApplyFile));
  const summary = (values: number[]) => ({
    median: round(median(values), 1),
    min: round(Math.min(...values), 1),
    max: round(Math.max(...values), 1),
  });
  return {
    machines: MACHINES,
    rounds: ROUNDS,
    order: `${ROUNDS} rounds of [ceiling, vitictl C=${CONCURRENCIES.join(', C=')}, kubectl apply -f], then the kubectl loop; one lab; every run deletes its objects before the next`,
    kubectlVersion,
    summary: {
      vitictlCreateThroughput: Object.fromEntries(
        CONCURRENCIES.map((concurrency) => [
          `c${concurrency}`,
          summary(rounds.map((r) => throughputOf(r, concurrency))),
        ]),
      ),
      vitictlWholeCommandObjectsPerSecond: Object.fromEntries(
        CONCURRENCIES.map((concurrency) => [
          `c${concurrency}`,
          summary(
            rounds.map(
              (r) => r.vitictl.find((v) => v.concurrency === concurrency)?.wholeCommandObjectsPerSecond ?? 0,
            ),
          ),
        ]),
      ),
      vitictlCleanupSeconds: summary(rounds.flatMap((r) => r.vitictl.map((v) => v.cleanupSeconds))),
      kubectlApplyFileObjectsPerSecond: summary(rounds.map((r) => r.kubectlApplyFile.objectsPerSecond)),
      kubectlDeleteSeconds: summary(rounds.map((r) => r.kubectlApplyFile.deleteSeconds)),
      kubectlLoopObjectsPerSecond: loop.objectsPerSecond,
      ceilingCreatesPerSecond: summary(rounds.map((r) => r.ceiling.createsPerSecond)),
      note: 'median, min and max over the rounds; objects/s',
    },
    ratios: {
      bestConcurrency: bestC,
      perRound,
      vitictlOverKubectlApplyFile: round(vsKubectl, 2),
      vitictlOverCeiling: round(vsCeiling, 3),
      vitictlOverLoop: round((medianByC[bestC] ?? 0) / loop.objectsPerSecond, 1),
      note: "best C = the C with the higher median createThroughput; each ratio is taken within a round (same load) and the median over rounds reported; vitictl = RunResult createThroughput, kubectl apply -f = Machines / whole command, ceiling = the raw Pool's creates/s; vitictlOverLoop = median vitictl(best C) / the loop's rate",
    },
    targets: {
      vitictlOverKubectlApplyFile: { target: '>= 2', met: vsKubectl >= 2 },
      vitictlOverCeiling: { target: '>= 0.90 (within 10% of the ceiling)', met: vsCeiling >= 0.9 },
    },
    perRound: rounds,
    notes: {
      vitictl: `node bin/vitictl.js apply machines --count ${MACHINES} --no-wait --concurrency C -o json -q --run-id bench-cC-ROUND (cleanup on, the default). createThroughput = the RunResult's apply.createThroughput (acknowledged creates / (last ack − first send)); wallSeconds = the whole child process (start, preflight, 10 namespaces, creates, cleanup, exit); wholeCommandObjectsPerSecond = ${MACHINES} / (wall − cleanup phase), comparable with kubectl's whole-command figure; cleanupSeconds = the RunResult's cleanup phase (LIST + one DELETE per object, 16 in flight), not part of throughput`,
      kubectlApplyFile: `kubectl apply -f FILE, FILE = vitictl scenario generate machines --count ${MACHINES} --run-id bench-kubectl-ROUND --out FILE (10 namespaces first, then ${MACHINES} Machines); the whole command timed (process start to exit, discovery cache warmed by one kubectl api-resources before); objectsPerSecond = ${MACHINES} Machines / that time; kubectl's own client-side defaults; deleteSeconds = kubectl delete machines -A -l vitictl.io/run-id=bench-kubectl-ROUND --wait=false until a kubectl get (polled every 1 s) finds none (without --wait=false kubectl's per-object wait is throttled client-side to ~5 objects/s: 60 objects took 10.3 s vs 0.3 s in a side test)`,
      kubectlLoop: `the shell-script way, for the first ${LOOP_OBJECTS} Machines only (vitictl scenario generate machines --count ${LOOP_OBJECTS} --run-id bench-loop: the same first ${LOOP_OBJECTS} objects as the ${MACHINES} file; namespaces applied before, untimed): one \`kubectl apply -f -\` process per object in sequence, the object on stdin as JSON; objectsPerSecond = ${LOOP_OBJECTS} / the loop's time`,
      ceiling: `the API server's ceiling: the simplest client, in the bench process: a raw undici Pool (connections ${CEILING_CONNECTIONS}, pipelining 1) with the lab's admin client certificate (pki/admin.crt, admin.key, ca.crt) POSTing ${MACHINES} pre-serialised Machines (the same generated objects as vitictl's, metadata.name replaced by generateName, label vitictl.io/run-id=bench-ceiling-ROUND) into their 10 namespaces (created before, untimed), ${CEILING_CONCURRENCY} in flight, no tracking, no watch, no retries; createsPerSecond = 201s / (first send → last response); deleted after with one deletecollection per namespace (kubectl delete --raw)`,
    },
    kubectlLoop: loop,
  };
}
