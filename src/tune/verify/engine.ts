import { existsSync } from 'node:fs';
import { runtimeError } from '../../errors.js';
import { connect } from '../../kube/connect.js';
import { KubeRest } from '../../kube/rest.js';
import type { ApplyProgress } from '../../load/apply-engine.js';
import { applyRun } from '../../load/apply-run.js';
import type { ApiServerObserve } from '../../observe/apiserver/scrape.js';
import type { Target } from '../../observe/target.js';
import { newRunId } from '../../report/run-id.js';
import type { RunResult } from '../../report/run-result.js';
import type { PercentilesMs, TuneResult } from '../../report/sections/tune.js';
import { prepareScenario } from '../../scenario/prepare.js';
import { type ConfigDiff, diffLive, serverSideApply } from '../apply-config.js';
import { CONFIG_KEY, configMapObject } from '../configmap.js';
import { parsePerformanceYaml } from '../performance-config.js';
import type { TuneOptions } from '../run-model.js';
import { tune } from '../tune.js';
import { clusterMoved, DEFAULT_MIN_IMPROVEMENT_PCT, decide } from './decide.js';
import {
  type AppliedConfigMap,
  type ConfigMapSnapshot,
  restoreConfigMap,
  snapshotConfigMap,
} from './restore.js';
import {
  type Decision,
  type RunSummary,
  type Settle,
  VERIFY_RESULT_VERSION,
  type VerifyResult,
} from './result.js';
import {
  addsNoLoad,
  checkRerunnable,
  comparePercentiles,
  loadOf,
  predictedImprovement,
  reanchorOn,
  summarizeRun,
} from './runs.js';
import { configHash, type Generation, readGeneration, type SettleMode, waitForConfig } from './settle.js';

/**
 * `vitictl tune verify`: recommend (tune), apply the recommended ConfigMap, wait until the controller
 * runs with it, re-run the run's load, compare, keep or restore. Prints nothing: it returns a typed
 * result and reports progress as typed events. The ConfigMap is restored on every way out that does
 * not keep it: a worse or noisy result, an error, an abort.
 */

export type VerifyEvent =
  | { type: 'tuned'; tune: TuneResult }
  | { type: 'diff'; diff: ConfigDiff; namespace: string; name: string }
  | { type: 'applied'; hash: string }
  | { type: 'settling'; method: Settle['method'] }
  | { type: 'settled'; settle: Settle }
  | { type: 'rerun'; runId: string; objects: number; purpose: RerunPurpose; round: number | undefined }
  | { type: 'phase'; name: string }
  | { type: 'progress'; progress: ApplyProgress }
  | { type: 'decided'; decision: Decision }
  | { type: 'restoring' }
  | { type: 'restored'; how: 'replaced' | 'deleted' }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string };

/** Why the load is run again: to re-measure the live config, or to measure the recommended one. */
export type RerunPurpose = 'baseline' | 'recommended';

export interface VerifyOptions {
  /** the measured run (run.json): what is tuned, and the load that is re-run */
  run: RunResult;
  tune: Pick<TuneOptions, 'strategy' | 'peakRate' | 'targetP99ReadyMs' | 'maxWorkers' | 'controller'>;
  namespace: string;
  name: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** how to know the controller took a config */
  settle: SettleMode;
  /** scrape these during the re-run (its RunResult then carries signals, as the first run's did) */
  metrics?: { targets: Target[]; intervalMs: number } | undefined;
  /**
   * observe the API server (and etcd) during the re-run, as the first run did: a next step tuned
   * from the re-run needs the server's rates and latency to know how far it may go
   */
  apiserverMetrics?: Omit<ApiServerObserve, 'apiserver'> | undefined;
  /**
   * keep only when p99 time-to-ready improves at least this much (%), beyond the noise; unset: 5%, and
   * a recommendation that adds no load need only not be worse
   */
  minImprovementPct?: number | undefined;
  /**
   * before applying, run the same load again with the live config and compare with that run: a
   * cluster that served earlier runs is not the one the recorded run saw (etcd's history, caches, the
   * machine's other load), and the two runs of one config measure the run-to-run noise
   */
  rebaseline: boolean;
  /**
   * rounds of (baseline, recommendation), alternating the ConfigMap between them, so drift weighs on
   * both sides and the baselines' spread measures the noise (needs rebaseline; default 1)
   */
  rounds?: number | undefined;
  /** per-object readiness timeout of the re-run (default: the scenario's) */
  timeoutMs?: number | undefined;
  /** aborting stops the wait or the re-run; the ConfigMap is restored, the result says interrupted */
  signal: AbortSignal;
  onEvent?: (event: VerifyEvent) => void;
}

export interface VerifyOutput {
  result: VerifyResult;
  /** the re-run's RunResult, when it ran */
  after: RunResult | undefined;
  /** the re-measured baseline's RunResult, when it ran */
  baseline: RunResult | undefined;
  /** rounds after the first: their baseline and re-run */
  laterRounds: Array<{ baseline: RunResult; after?: RunResult | undefined }>;
}

/** How long restoring may wait for the controller to take the old config back. */
const RESTORE_WAIT_MS = 60_000;

const isAbort = (error: unknown, signal: AbortSignal) =>
  signal.aborted || (error instanceof Error && error.name === 'AbortError');

export async function verifyTuning(options: VerifyOptions): Promise<VerifyOutput> {
  const { run, namespace, name, signal } = options;
  const emit = (event: VerifyEvent) => options.onEvent?.(event);
  checkRerunnable(run);
  const startedAt = new Date().toISOString();
  const connection = await connect({
    kubeconfig: options.kubeconfig,
    context: options.context,
    env: options.env,
  });
  const rest = await KubeRest.create(connection, { connections: 4 });
  try {
    const snapshot = await snapshotConfigMap(rest, namespace, name);
    const liveYaml = snapshot.existed ? snapshot.object.data?.[CONFIG_KEY] : undefined;
    const where = `configmap ${namespace}/${name}`;
    const tuneOptions: TuneOptions = {
      run,
      current: liveYaml === undefined ? undefined : parsePerformanceYaml(liveYaml, where),
      currentSource:
        liveYaml === undefined ? `no ${where} (defaults)` : `live ConfigMap ${namespace}/${name}`,
      ...options.tune,
    };
    const tuned = tune(tuneOptions);
    emit({ type: 'tuned', tune: tuned });
    if (tuned.refused)
      throw runtimeError(`no recommendation to verify: ${tuned.refused}`, {
        hint: 'fix what the run shows first (vitictl tune --from RUN -o table)',
      });
    const object = configMapObject(tuned, { name, namespace });
    const yaml = object.data[CONFIG_KEY];
    const hash = configHash(yaml);
    const diff = await diffLive(rest, namespace, name, yaml);
    emit({ type: 'diff', diff, namespace, name });
    const liveHash = snapshot.existed ? configHash(liveYaml) : configHash(undefined);
    const roundCount = options.rebaseline ? Math.max(1, options.rounds ?? 1) : 1;
    /** each round's runs, as they happen (a null baseline: the recorded run, --no-rebaseline) */
    const rounds: Array<{ baseline: RunResult | null; after?: RunResult }> = [];
    const recordedSummary = summarizeRun(run, liveHash);
    if (options.rebaseline && !signal.aborted) {
      const first = await baselineRun(options, emit, liveHash, roundCount > 1 ? 1 : undefined);
      rounds.push({ baseline: first });
    }
    const before = rounds[0]?.baseline ? summarizeRun(rounds[0].baseline, liveHash) : recordedSummary;
    let generationBefore: Generation | null = null;
    if (options.settle.method === 'metric') {
      generationBefore = await readGeneration(options.settle.target).catch(() => null);
    }
    const base = {
      schemaVersion: VERIFY_RESULT_VERSION,
      kind: 'vitictl.io/VerifyResult' as const,
      startedAt,
      baseline: rounds.length > 0 ? ('remeasured' as const) : ('recorded' as const),
      // the recorded run's config is not known: the live one may have changed since
      recorded: rounds.length > 0 ? summarizeRun(run, null) : undefined,
      before,
      diff: { namespace, name, existed: diff.exists, removed: diff.removed, added: diff.added },
      appliedHash: hash,
      tune: tuned,
    };
    const notes: string[] = [];
    const moved = clusterMoved(base.recorded, before);
    if (moved) notes.push(moved);
    const summaries = () =>
      roundCount > 1
        ? rounds.flatMap((round) =>
            round.baseline
              ? [
                  {
                    baseline: summarizeRun(round.baseline, liveHash),
                    after: round.after ? summarizeRun(round.after, hash) : null,
                  },
                ]
              : [],
          )
        : [];
    const output = (
      decision: Decision,
      settle: Settle | null,
      restored: VerifyResult['restored'],
    ): VerifyOutput => {
      const first = rounds[0]?.after;
      const baselines = rounds.flatMap((round) =>
        round.baseline && round.after && !round.baseline.interrupted ? [round.baseline] : [],
      );
      const reanchored =
        baselines.length > 0 ? reanchorOn(tuneOptions, baselines, tuned.settings.recommended) : null;
      return {
        result: finish(
          { ...base, rounds: summaries(), reanchored: reanchored?.section ?? null },
          reanchored?.predictions ?? [],
          first ? summarizeRun(first, hash) : null,
          tuned,
          decision,
          settle,
          restored,
          notes,
        ),
        after: first,
        baseline: rounds[0]?.baseline ?? undefined,
        laterRounds: rounds
          .slice(1)
          .flatMap((round) => (round.baseline ? [{ ...round, baseline: round.baseline }] : [])),
      };
    };
    if (signal.aborted || rounds[0]?.baseline?.interrupted)
      return output(
        {
          verdict: 'interrupted',
          reason: `interrupted ${rounds.length > 0 ? 'while re-measuring the baseline' : 'before the ConfigMap was applied'}; the ConfigMap was not touched`,
          rule: null,
        },
        null,
        'not-needed',
      );

    let applied = await serverSideApply(rest, object, false);
    emit({ type: 'applied', hash });
    let settle: Settle | null = null;
    let decision: Decision | undefined;
    /** set while the live config is back between rounds: how it was put back */
    let liveAgain: 'replaced' | 'deleted' | null = null;
    try {
      for (let round = 1; round <= roundCount && !decision; round++) {
        if (round > 1) {
          // back to the live config for this round's baseline, then the recommendation again
          emit({ type: 'restoring' });
          liveAgain = await restoreConfigMap(rest, snapshot, applied);
          emit({ type: 'restored', how: liveAgain });
          await waitForConfig(options.settle, liveHash, { rest, signal });
          const baseline = await baselineRun(options, emit, liveHash, round);
          rounds.push({ baseline });
          if (baseline.interrupted) {
            decision = {
              verdict: 'interrupted',
              reason: `interrupted while re-measuring the baseline of round ${round}; the previous ConfigMap was restored`,
              rule: null,
            };
            break;
          }
          applied = await serverSideApply(rest, object, false);
          liveAgain = null;
          emit({ type: 'applied', hash });
        }
        emit({ type: 'settling', method: options.settle.method });
        const taken = await waitForConfig(options.settle, hash, { rest, signal, before: generationBefore });
        settle ??= taken;
        emit({ type: 'settled', settle: taken });
        const after = await rerun(options, emit, 'recommended', roundCount > 1 ? round : undefined);
        if (rounds[round - 1]) rounds[round - 1]!.after = after;
        else rounds.push({ baseline: null, after });
        if (after.interrupted) decision = interrupted('the re-run was interrupted');
      }
      decision ??= decide(
        rounds.map((round) => ({
          before: round.baseline ? summarizeRun(round.baseline, liveHash) : recordedSummary,
          after: summarizeRun(round.after!, hash),
        })),
        {
          minImprovementPct: options.minImprovementPct ?? DEFAULT_MIN_IMPROVEMENT_PCT,
          predictedImprovementPct: predictedImprovement(tuned),
          // a --min-improvement the user gave is asked of every recommendation
          held: addsNoLoad(tuned) && options.minImprovementPct === undefined,
          recorded: base.recorded ?? null,
        },
      );
    } catch (error) {
      if (!isAbort(error, signal)) {
        if (!liveAgain) await restoreAfterError(rest, snapshot, applied, options, emit);
        throw error;
      }
      decision = interrupted('interrupted while waiting for the controller to take a config');
    }
    emit({ type: 'decided', decision });
    if (decision.verdict === 'kept' && tuned.prediction?.step)
      notes.push(
        `the kept config is a step toward what the formulas ask for (workers ${tuned.prediction.step.target.workers}, QPS ${tuned.prediction.step.target.qps > 0 ? tuned.prediction.step.target.qps : 'unlimited'}): run tune verify again from the re-run (after.json beside verify.json) for the next step`,
      );
    if (decision.verdict === 'kept') return output(decision, settle, 'not-needed');
    if (liveAgain) {
      // stopped between rounds: the live config is already back
      await settleBack(rest, snapshot, options, emit, notes);
      return output(decision, settle, liveAgain);
    }
    emit({ type: 'restoring' });
    const how = await restoreConfigMap(rest, snapshot, applied);
    emit({ type: 'restored', how });
    await settleBack(rest, snapshot, options, emit, notes);
    return output(decision, settle, how);
  } finally {
    await rest.close();
  }
}

/** The load re-run with the live config; a baseline in which nothing became ready is an error. */
async function baselineRun(
  options: VerifyOptions,
  emit: (event: VerifyEvent) => void,
  liveHash: string,
  round: number | undefined,
): Promise<RunResult> {
  const baseline = await rerun(options, emit, 'baseline', round);
  if (!baseline.interrupted && summarizeRun(baseline, liveHash).counts.ready === 0)
    throw runtimeError(
      `the baseline re-run (${baseline.runId}) made no object ready with the live config: there is nothing to compare with`,
      {
        hint: 'check that the controller runs (its pods and logs; vitictl lab status on the lab), or compare with the recorded run: --no-rebaseline',
      },
    );
  return baseline;
}

function interrupted(reason: string): Decision {
  return { verdict: 'interrupted', reason: `${reason}; the previous ConfigMap was restored`, rule: null };
}

function finish(
  base: Omit<VerifyResult, 'endedAt' | 'after' | 'comparison' | 'decision' | 'settle' | 'restored' | 'notes'>,
  reanchored: PercentilesMs[],
  after: RunSummary | null,
  tuned: TuneResult,
  decision: Decision,
  settle: Settle | null,
  restored: VerifyResult['restored'],
  notes: string[],
): VerifyResult {
  return {
    ...base,
    endedAt: new Date().toISOString(),
    after,
    comparison: comparePercentiles(
      tuned,
      base.rounds.length > 0 ? base.rounds.map((round) => round.baseline) : [base.before],
      base.rounds.length > 0
        ? base.rounds.flatMap((round) => (round.after ? [round.after] : []))
        : after
          ? [after]
          : [],
      reanchored,
    ),
    decision,
    settle,
    restored,
    notes,
  };
}

/** The same scenario, seed, object count and load as the recorded run, under a new run id. */
async function rerun(
  options: VerifyOptions,
  emit: (event: VerifyEvent) => void,
  purpose: RerunPurpose,
  round: number | undefined,
): Promise<RunResult> {
  const { run } = options;
  // a built-in scenario is recorded by its file inside the package; a user's file may have moved
  const scenario = existsSync(run.scenario.file) ? run.scenario.file : run.scenario.name;
  const runId = newRunId();
  const prepared = await prepareScenario({
    scenario,
    crdFiles: [],
    count: run.scenario.objects,
    seed: run.scenario.seed,
    runId,
  });
  emit({ type: 'rerun', runId, objects: prepared.plan.totalObjects, purpose, round });
  const { result } = await applyRun({
    prepared,
    kubeconfig: options.kubeconfig,
    context: options.context,
    load: loadOf(run),
    wait: true,
    timeoutMs: options.timeoutMs,
    cleanup: true,
    signal: options.signal,
    env: options.env,
    metrics: options.metrics,
    apiserverMetrics: options.apiserverMetrics,
    onPhase: (name) => emit({ type: 'phase', name }),
    onProgress: (progress) => emit({ type: 'progress', progress }),
    onWarning: (message) => emit({ type: 'warning', message }),
    onInfo: (message) => emit({ type: 'info', message }),
  });
  return result;
}

/** After an error: put the ConfigMap back, and say so if even that fails (the error itself still wins). */
async function restoreAfterError(
  rest: KubeRest,
  snapshot: ConfigMapSnapshot,
  applied: AppliedConfigMap,
  options: VerifyOptions,
  emit: (event: VerifyEvent) => void,
): Promise<void> {
  try {
    emit({ type: 'restoring' });
    emit({ type: 'restored', how: await restoreConfigMap(rest, snapshot, applied) });
    await settleBack(rest, snapshot, options, emit, []);
  } catch (error) {
    emit({
      type: 'warning',
      message: `could not restore ${snapshot.namespace}/${snapshot.name}: ${(error as Error).message}`,
    });
  }
}

/** Wait (bounded, not abortable) until the controller runs with the restored config again. */
async function settleBack(
  rest: KubeRest,
  snapshot: ConfigMapSnapshot,
  options: VerifyOptions,
  emit: (event: VerifyEvent) => void,
  notes: string[],
): Promise<void> {
  const hash = configHash(snapshot.existed ? snapshot.object.data?.[CONFIG_KEY] : undefined);
  const mode: SettleMode =
    options.settle.method === 'metric'
      ? { ...options.settle, timeoutMs: Math.min(options.settle.timeoutMs, RESTORE_WAIT_MS) }
      : options.settle;
  try {
    await waitForConfig(mode, hash, { rest, signal: new AbortController().signal });
  } catch (error) {
    const message = `the ConfigMap is restored, but the controller was not seen taking it back: ${(error as Error).message}`;
    notes.push(message);
    emit({ type: 'warning', message });
  }
}
