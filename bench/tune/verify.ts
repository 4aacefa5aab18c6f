// The tune bench, part: the closed loop as a user runs it. A run on the lab, then `vitictl tune verify`
// (apply the recommendation, wait for the operator to take it, re-run the same load, keep or roll back),
// and what verify.json says: the bottleneck named, before/after, predicted vs measured.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabUpOptions } from '../../src/lab/lab.js';
import type { RunResult } from '../../src/report/run-result.js';
import type { Bottleneck } from '../../src/report/sections/tune.js';
import type { VerifyResult } from '../../src/tune/verify/result.js';
import { resultsDir, writeResult } from '../lib.js';
import { applyRun, failure, load, log, MINUTE, progress, round, vitictl, withLab } from './lab.js';

const BEFORE_BOUND_MS = 20 * MINUTE;
const VERIFY_BOUND_MS = 30 * MINUTE;
/** the prediction for the recommended settings, against the re-run, at p50 and p99 */
const PREDICTION_ERROR_TARGET_PCT = 25;

export interface ClosedLoopCase {
  name: string;
  /** the operator's performance.yaml and provisioning time: what makes the case what it is */
  lab: Omit<LabUpOptions, 'dir'>;
  objects: number;
  expected: Bottleneck;
  /** p99 before ÷ after at least this; null: only "not worse" */
  improvementTarget: number | null;
  /** objects applied (kubectl apply) once the lab is up, before the run */
  setup?: object[];
  /**
   * tune verify --rounds: the cases on a saturated host, whose identical runs differ by ±15% or more,
   * alternate live and recommended config this many times
   */
  rounds?: number;
}

/**
 * The operator's service account on an API Priority and Fairness level of its own with one share of
 * the server's 600 seats (3), none borrowed, the rest queued: an API server that is the operator's
 * bottleneck while it serves everyone else (vitictl is exempt, as an admin) on time.
 */
const OPERATOR_ON_A_TIGHT_PRIORITY_LEVEL = [
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name: 'bench-operator-tight' },
    spec: {
      type: 'Limited',
      limited: {
        nominalConcurrencyShares: 1,
        lendablePercent: 0,
        borrowingLimitPercent: 0,
        limitResponse: { type: 'Queue', queuing: { queues: 16, handSize: 4, queueLengthLimit: 200 } },
      },
    },
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: 'bench-operator-tight' },
    spec: {
      priorityLevelConfiguration: { name: 'bench-operator-tight' },
      matchingPrecedence: 500,
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [
            {
              kind: 'ServiceAccount',
              serviceAccount: { name: 'vitistack-operator', namespace: 'vitistack-system' },
            },
          ],
          resourceRules: [
            { verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] },
          ],
        },
      ],
    },
  },
];

export const CLOSED_LOOP_CASES: ClosedLoopCase[] = [
  {
    name: 'worker-bound',
    lab: {
      performanceYaml:
        'controller: {workers: 1, maxConcurrentReconciles: 1}\nrateLimit: {qps: 200, burst: 400}\n',
      provisionTime: 'fixed:200ms',
      webhook: false,
    },
    objects: 200,
    expected: 'workers',
    improvementTarget: 3,
  },
  {
    name: 'client-qps-bound',
    lab: {
      performanceYaml:
        'controller: {workers: 16, maxConcurrentReconciles: 16}\nrateLimit: {qps: 5, burst: 10}\n',
      provisionTime: 'fixed:10ms',
      webhook: false,
    },
    objects: 100,
    expected: 'client-qps',
    improvementTarget: 3,
  },
  {
    // as scripts/record-tune-fixtures.sh records it: the operator unthrottled, 5 API calls per
    // reconcile, its load saturates the API server on 2 shared cores. No knob vitictl sets can make
    // this 3× better; what it must show is the right diagnosis and no more concurrency or QPS into
    // the saturated server.
    name: 'apiserver-bound',
    lab: {
      performanceYaml:
        'controller: {workers: 32, maxConcurrentReconciles: 32}\nrateLimit: {qps: -1, burst: 0}\n',
      provisionTime: 'fixed:200ms',
      apiCallsPerReconcile: 5,
      webhook: false,
    },
    objects: 1000,
    expected: 'apiserver',
    improvementTarget: null,
    rounds: 3,
  },
  {
    // the API server bound by API Priority and Fairness: the operator's calls (3 per reconcile and the
    // status write) wait for one of its 3 seats. More workers only lengthen its queue.
    name: 'apf-bound',
    lab: {
      performanceYaml:
        'controller: {workers: 16, maxConcurrentReconciles: 16}\nrateLimit: {qps: -1, burst: 0}\n',
      provisionTime: 'fixed:50ms',
      apiCallsPerReconcile: 3,
      webhook: false,
    },
    setup: OPERATOR_ON_A_TIGHT_PRIORITY_LEVEL,
    objects: 500,
    expected: 'apiserver',
    improvementTarget: null,
    rounds: 3,
  },
  {
    // the same with the lab's default 2 API calls per reconcile: the API server keeps its SLOs at
    // about 1.3 of its 2 cores, which it shares with etcd, the operator's 32 workers and vitictl. The
    // operator's own goroutines do not wait for CPU (its Go scheduling latency stays in µs); its
    // reconciles wait for the server. More workers would offer the server requests it has no cores
    // for: tune must keep them and name the server.
    name: 'shared-host-cpu',
    lab: {
      performanceYaml:
        'controller: {workers: 32, maxConcurrentReconciles: 32}\nrateLimit: {qps: -1, burst: 0}\n',
      provisionTime: 'fixed:200ms',
      webhook: false,
    },
    objects: 1000,
    expected: 'apiserver',
    improvementTarget: null,
    rounds: 3,
  },
];

/** The knobs that add load on the API server: none may go up when it is the bottleneck. */
const CONCURRENCY_KNOBS = ['controller.maxConcurrentReconciles', 'rateLimit.qps', 'rateLimit.burst'];

/** The load-adding knobs the recommendation raised (a QPS of -1 or 0 is no limit: any value is lower). */
function raisedConcurrency(result: VerifyResult): string[] {
  const unlimited = (value: unknown) => Number(value) <= 0;
  return result.tune.recommendations
    .filter((r) => r.changed && CONCURRENCY_KNOBS.includes(r.knob))
    .filter(
      (r) => !unlimited(r.current) && (unlimited(r.recommended) || Number(r.recommended) > Number(r.current)),
    )
    .map((r) => `${r.knob} ${String(r.current)} → ${String(r.recommended)}`);
}

/** Steps of tune verify a case runs at most while each kept config is a step toward more. */
const MAX_STEPS = 4;

const error = (result: VerifyResult, percentile: 'p50' | 'p99') =>
  result.comparison.find((row) => row.percentile === percentile)?.errorPct ?? null;
const reanchoredError = (result: VerifyResult, percentile: 'p50' | 'p99') =>
  result.comparison.find((row) => row.percentile === percentile)?.reanchoredErrorPct ?? null;
const within = (pct: number | null) => pct !== null && Math.abs(pct) <= PREDICTION_ERROR_TARGET_PCT;
const seconds = (ms: number) => round(ms / 1000, 2);

/** The busiest controller's mean reconcile time in a run, ms. */
function reconcileMeanMs(run: RunResult): number | null {
  const controllers = (run.observe?.targets ?? []).flatMap((target) => target.signals?.controllers ?? []);
  const busiest = controllers.sort((a, b) => b.reconciles - a.reconciles)[0];
  return busiest ? round(busiest.serviceMean * 1000, 1) : null;
}

/**
 * `vitictl tune verify` as a user runs it: from the first run, then, while the kept config is a step
 * toward what the formulas ask for, again from the re-run it kept (`verify/after.json`).
 */
async function verifySteps(spec: ClosedLoopCase, lab: Parameters<Parameters<typeof withLab>[1]>[0]) {
  const steps = [];
  let from = 'before.json';
  for (let n = 1; n <= MAX_STEPS; n++) {
    const dir = n === 1 ? 'verify' : `verify-${n}`;
    const args = ['tune', 'verify', '--from', from, '--metrics', lab.metricsUrl, '--out-dir', dir];
    if (spec.rounds) args.push('--rounds', String(spec.rounds));
    const ran = await vitictl(args, {
      env: lab.env,
      cwd: lab.work,
      timeoutMs: VERIFY_BOUND_MS,
      tick: progress(lab, `${spec.name} verify ${n}`),
    });
    // 0 kept, 3 rolled back: both are findings; anything else is a failure of the bench
    if (ran.status !== 0 && ran.status !== 3) throw failure(ran);
    const result = JSON.parse(readFileSync(join(lab.work, dir, 'verify.json'), 'utf8')) as VerifyResult;
    const after = result.after?.timeToReady ?? null;
    const prediction = result.tune.prediction;
    const step = prediction?.step ?? null;
    const afterRun = existsSync(join(lab.work, dir, 'after.json'))
      ? (JSON.parse(readFileSync(join(lab.work, dir, 'after.json'), 'utf8')) as RunResult)
      : undefined;
    steps.push({
      command: `vitictl ${args.join(' ')}`,
      exit: ran.status,
      result,
      row: {
        verdict: result.decision.verdict,
        reason: result.decision.reason,
        diagnosis: `${result.tune.diagnosis.bottleneck}: ${result.tune.diagnosis.message}`,
        changed: result.diff.added,
        settle: result.settle,
        // the run tuned from, and the same load re-run with the live config just before applying
        recorded: result.recorded
          ? { p50: seconds(result.recorded.timeToReady.p50), p99: seconds(result.recorded.timeToReady.p99) }
          : null,
        before: {
          p50: seconds(result.before.timeToReady.p50),
          p99: seconds(result.before.timeToReady.p99),
        },
        baseline: result.baseline,
        expect: result.decision.rule?.expect ?? null,
        rounds: result.decision.rule?.rounds ?? [],
        runToRunPct: result.decision.rule?.runToRunPct ?? null,
        marginPct: result.decision.rule?.marginPct ?? null,
        after: after ? { p50: seconds(after.p50), p90: seconds(after.p90), p99: seconds(after.p99) } : null,
        prediction: result.comparison,
        predictionErrorPct: { p50: error(result, 'p50'), p99: error(result, 'p99') },
        // the re-measured baseline(s) × the change the model refitted there predicts for the same settings
        reanchoredErrorPct: { p50: reanchoredError(result, 'p50'), p99: reanchoredError(result, 'p99') },
        reanchored: result.reanchored,
        refused: prediction?.refused ?? [],
        step,
        // where the model stood: what the run it was fitted on saw, what it expected of the server
        // for this step, and what the re-run showed
        model: prediction && {
          fit: prediction.fit,
          workScale: prediction.calibration.workScale,
          curve: prediction.calibration.apiserver,
          seenApiserverRps: prediction.validity?.apiserverRps ?? null,
          predictedPeakRps: prediction.recommended ? round(prediction.recommended.apiserverPeakRps, 1) : null,
          predictedReconcileMs: prediction.recommended
            ? round(prediction.recommended.reconcileMeanMs, 1)
            : null,
        },
        rerunApiserver: afterRun?.apiserver && {
          maxRps: round(Math.max(0, ...afterRun.apiserver.series.map((point) => point.requestsPerSecond)), 1),
          cores: afterRun.apiserver.cpu.cores,
          mutatingP99Ms:
            afterRun.apiserver.sli.checks.find((check) => check.name === 'mutating')?.p99Ms ?? null,
          reconcileMs: reconcileMeanMs(afterRun),
        },
        verifySeconds: ran.seconds,
      },
    });
    if (result.decision.verdict !== 'kept' || !step) break;
    from = join(dir, 'after.json');
  }
  return steps;
}

export async function closedLoop(spec: ClosedLoopCase) {
  return withLab(spec.lab, async (lab) => {
    if (spec.setup) {
      const applied = spawnSync('kubectl', ['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: spec.setup }),
        env: lab.env,
        encoding: 'utf8',
      });
      if (applied.status !== 0) throw new Error(`kubectl apply of the case's setup: ${applied.stderr}`);
    }
    const before = await applyRun(lab, spec.objects, 'before.json', BEFORE_BOUND_MS, `${spec.name} before`);
    const steps = await verifySteps(spec, lab);
    const first = steps[0]!.result;
    // the config in force at the end: the last kept step's (a rolled-back step restored the one before)
    const lastKept = steps.filter((step) => step.result.decision.verdict === 'kept').at(-1)?.result;
    const b = first.before.timeToReady;
    const recorded = first.recorded?.timeToReady ?? null;
    const a = lastKept?.after?.timeToReady ?? null;
    const improvementP99 = a && a.p99 > 0 ? round(b.p99 / a.p99, 2) : null;
    const predicted = steps.filter((step) => step.row.prediction.some((row) => row.predictedMs !== null));
    return {
      objects: spec.objects,
      lab: spec.lab,
      command: steps.map((step) => step.command).join(' && '),
      exit: steps.at(-1)!.exit,
      verdict: lastKept ? 'kept' : first.decision.verdict,
      reason: first.decision.reason,
      diagnosis: first.tune.diagnosis,
      bottleneckMet: first.tune.diagnosis.bottleneck === spec.expected,
      raised: raisedConcurrency(first),
      instead: first.tune.diagnosis.instead,
      recorded: recorded
        ? { p50: seconds(recorded.p50), p99: seconds(recorded.p99), wall: before.summary.wallSeconds }
        : null,
      before: { p50: seconds(b.p50), p90: seconds(b.p90), p99: seconds(b.p99) },
      runToRunPct: first.decision.rule?.runToRunPct ?? null,
      after: a ? { p50: seconds(a.p50), p90: seconds(a.p90), p99: seconds(a.p99) } : null,
      improvementP99,
      improvementMet:
        improvementP99 !== null &&
        (spec.improvementTarget === null ? improvementP99 >= 1 : improvementP99 >= spec.improvementTarget),
      steps: steps.map((step) => step.row),
      // every step that predicted, within the target; and at least one step did
      predictionErrorPct: steps.map((step) => step.row.predictionErrorPct),
      predictionMet:
        predicted.length === steps.length &&
        predicted.every(
          (step) => within(step.row.predictionErrorPct.p50) && within(step.row.predictionErrorPct.p99),
        ),
      reanchoredErrorPct: steps.map((step) => step.row.reanchoredErrorPct),
      reanchoredPredictionMet: steps.every(
        (step) => within(step.row.reanchoredErrorPct.p50) && within(step.row.reanchoredErrorPct.p99),
      ),
      verifySeconds: round(
        steps.reduce((sum, step) => sum + step.row.verifySeconds, 0),
        1,
      ),
    };
  });
}

type CaseResult = { date: string } & Awaited<ReturnType<typeof closedLoop>>;

/** The last results file's cases, each with its date (older files dated the whole file only). */
function previousCases(): Record<string, CaseResult> {
  try {
    const file = JSON.parse(readFileSync(join(resultsDir, 'tune-verify.json'), 'utf8')) as {
      date: string;
      cases?: Record<string, CaseResult>;
    };
    return Object.fromEntries(
      Object.entries(file.cases ?? {}).map(([name, c]) => [name, { ...c, date: c.date ?? file.date }]),
    );
  } catch {
    return {};
  }
}

/** `npm run bench -- tune-verify`: every closed-loop case in a fresh lab, one after the other. */
export async function benchTuneVerify(): Promise<string> {
  const started = Date.now();
  const loadStart = load();
  // BENCH_CASES=a,b runs those cases only and keeps the others' last results (each case has its date)
  const only = process.env.BENCH_CASES?.split(',').filter(Boolean);
  const previous = only ? previousCases() : {};
  const cases: Record<string, CaseResult> = {};
  for (const spec of CLOSED_LOOP_CASES) {
    if (only && !only.includes(spec.name)) {
      const kept = previous[spec.name];
      if (kept) cases[spec.name] = kept;
      continue;
    }
    log(`closed loop, ${spec.name}: ${spec.objects} Machines…`);
    cases[spec.name] = { date: new Date().toISOString(), ...(await closedLoop(spec)) };
  }
  return writeResult('tune-verify', {
    cases,
    summary: Object.fromEntries(
      Object.entries(cases).map(([name, c]) => [
        name,
        {
          bottleneck: c.diagnosis.bottleneck,
          bottleneckMet: c.bottleneckMet,
          raisedIntoSaturatedApiServer: c.diagnosis.bottleneck === 'apiserver' ? c.raised : null,
          verdict: c.verdict,
          p99BeforeSeconds: c.before.p99,
          p99AfterSeconds: c.after?.p99 ?? null,
          improvementP99: c.improvementP99,
          improvementMet: c.improvementMet,
          predictionErrorPct: c.predictionErrorPct,
          predictionMet: c.predictionMet,
          reanchoredErrorPct: c.reanchoredErrorPct,
          reanchoredPredictionMet: c.reanchoredPredictionMet,
        },
      ]),
    ),
    loadAverage: { start: loadStart, end: load() },
    totalMinutes: round((Date.now() - started) / MINUTE, 1),
    note: `each case in a fresh lab (kube-apiserver + etcd + the reference operator on 127.0.0.1, real fsync, webhook off) started with the case's performance.yaml and provisioning time (the operator as its own service account, vitictl as the lab admin); apf-bound first applies a FlowSchema that puts the operator's service account on a priority level of one share (3 seats, no borrowing, queued beyond); \`node bin/vitictl.js apply machines --count N --qps 100 --metrics URL --metrics-interval 5s --out before.json\`, then \`node bin/vitictl.js tune verify --from before.json --metrics URL --out-dir verify\` (with \`--rounds 3\` for the cases on a saturated host: apiserver-bound, apf-bound, shared-host-cpu) as child processes with KUBECONFIG=<lab kubeconfig>, and while the kept config is a step toward what the formulas ask for (beyond what the run saw), again from the re-run it kept (\`--from verify/after.json --out-dir verify-2\`, at most ${MAX_STEPS} steps); every figure is read from the verify.json files (p99 = the HDR histogram's time-to-ready p99 of each run; errorPct = (measured − predicted) ÷ predicted for the config that step applied). recorded = the first run (before.json, what was tuned from); before = the same load re-run by the first verify with the live config just before applying (the baseline it compares with; runToRunPct = how far its p99 moved from the recorded one's); after = the last kept step's re-run; improvementMet: p99 before ÷ after ≥ the case's target; predictionMet: every step predicted, |errorPct| ≤ ${PREDICTION_ERROR_TARGET_PCT}% at p50 and p99; reanchoredErrorPct: the same for the re-anchored prediction — the step's re-measured baseline(s)' percentiles × the change the model refitted there predicts for the same settings (median over the rounds' baselines) —, reanchoredPredictionMet likewise. loadAverage = os.loadavg() 1/5/15 min on a 2-core machine shared with other work`,
  });
}
