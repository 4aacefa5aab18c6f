import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/run-result.js';
import type { VerifyResult } from '../../src/tune/verify/result.js';
import { generationIn } from '../../src/tune/verify/settle.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import {
  eventually,
  kubectl,
  lab,
  setOperatorConfig,
  TEST_LAB_CONFIG,
  waitForWorkers,
} from '../helpers/lab.js';

/**
 * The closed loop on the lab: a recommendation applied, the controller seen taking it (its config
 * generation metric), the same load re-run, the config kept when it is better and restored exactly
 * when it is not, or when verify is stopped.
 */

const NS = 'vitistack-system';
const CM = 'vitistack-performance-config';
const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });
const metricsUrl = () => `http://127.0.0.1:${lab().ports.metrics}/metrics`;

/** The ConfigMap as verify must leave it: data, binaryData, labels, annotations (null: absent). */
async function configMapState(): Promise<Record<string, unknown> | null> {
  const got = await kubectl(['get', 'configmap', CM, '-n', NS, '-o', 'json']);
  if (got.exitCode !== 0) {
    if (/NotFound/.test(String(got.stderr))) return null;
    throw new Error(String(got.stderr));
  }
  const object = JSON.parse(String(got.stdout)) as {
    metadata: { labels?: unknown; annotations?: unknown };
    data?: unknown;
    binaryData?: unknown;
  };
  return {
    data: object.data ?? null,
    binaryData: object.binaryData ?? null,
    labels: object.metadata.labels ?? null,
    annotations: object.metadata.annotations ?? null,
  };
}

/** The whole exposition (the shared helper reads only its first 64 KiB; this series comes late). */
async function generation() {
  const response = await fetch(metricsUrl());
  return generationIn(await response.text());
}

async function waitForHash(hash: string) {
  return eventually(
    async () => ((await generation())?.hash === hash ? true : undefined),
    60_000,
    `config hash ${hash} in the operator's metrics`,
  );
}

const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('vitictl tune verify: the closed loop, in the lab', () => {
  const temp = useTempDir();
  /** the lab's own ConfigMap, put back after the file whatever happened */
  let original = '';

  beforeAll(async () => {
    const got = await kubectl(['get', 'configmap', CM, '-n', NS, '-o', 'json']);
    expect(got.exitCode, String(got.stderr)).toBe(0);
    const object = JSON.parse(String(got.stdout)) as { metadata: Record<string, unknown> };
    for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation'])
      delete object.metadata[key];
    original = JSON.stringify(object);
  });

  afterAll(async () => {
    const replaced = await kubectl(['replace', '--force=false', '-f', '-'], original);
    if (replaced.exitCode !== 0) await kubectl(['create', '-f', '-'], original);
    await waitForWorkers(TEST_LAB_CONFIG.workers);
  });

  /** A run recorded with the controller's metrics, as users record one. */
  async function record(name: string, count: number): Promise<string> {
    const file = (await temp.write('x', '')).replace(/x$/, name);
    const run = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        String(count),
        '--qps',
        '20',
        '--metrics',
        metricsUrl(),
        '--metrics-interval',
        '1s',
        '--out',
        file,
        '-q',
      ],
      { env: env() },
    );
    expect(run.exitCode, String(run.stderr)).toBe(0);
    return file;
  }

  it('keeps a recommendation that helps (1 worker, a throttled client): exit 0, before/after, the generation moved', async () => {
    await setOperatorConfig({ workers: 1, qps: 5, burst: 10 });
    const before = await record('slow.json', 60);
    const generationBefore = await generation();
    expect(generationBefore).not.toBeNull();
    const dir = temp.path('kept');
    const verified = await vitictl(
      ['tune', 'verify', '--from', before, '--metrics', metricsUrl(), '--out-dir', dir],
      { env: env() },
    );
    expect(verified.exitCode, String(verified.stderr)).toBe(0);
    expect(String(verified.stderr)).toMatch(/applied the recommended ConfigMap \(server-side apply/);
    expect(String(verified.stdout)).toMatch(/kept the recommended config/);

    const result = readJson<VerifyResult>(`${dir}/verify.json`);
    expect(result.kind).toBe('vitictl.io/VerifyResult');
    expect(result.decision.verdict).toBe('kept');
    expect(result.restored).toBe('not-needed');
    // compared with the same load re-run with the live config just before, not with the recorded run
    expect(result.baseline).toBe('remeasured');
    expect(result.recorded?.runId).toBe(readJson<RunResult>(before).runId);
    expect(result.before.runId).not.toBe(result.recorded?.runId);
    expect(readJson<RunResult>(`${dir}/baseline.json`).apply?.counts.ready).toBe(60);
    expect(result.decision.rule?.runToRunPct).not.toBeNull();
    expect(result.decision.rule?.marginPct).toBeGreaterThanOrEqual(5);
    expect(result.after?.counts.ready).toBe(60);
    expect(result.after!.timeToReady.p99).toBeLessThan(result.before.timeToReady.p99);
    expect(result.comparison.map((c) => c.percentile)).toEqual(['p50', 'p90', 'p99']);
    // the tuner predicts the recommended config unless it is beyond what the run saw (how far that is
    // depends on the rates the busy machine allowed); with no prediction, verify says why
    const refused = result.tune.prediction?.refused ?? [];
    for (const row of result.comparison) {
      expect(row.measuredMs).toBeGreaterThan(0);
      if (refused.length === 0) {
        expect(row.predictedMs).toBeGreaterThan(0);
        expect(row.errorPct).not.toBeNull();
      } else {
        expect(row.predictedMs).toBeNull();
        expect(row.errorPct).toBeNull();
      }
    }
    if (refused.length > 0) expect(String(verified.stdout)).toContain(`no prediction: ${refused[0]}`);
    // re-anchored: the baseline × the change the model refitted there predicts for the applied settings; it
    // predicts, or says why not
    expect(result.reanchored?.fits.map((entry) => entry.runId)).toEqual([result.before.runId]);
    const reanchored = result.comparison.filter((row) => row.reanchoredMs !== null);
    if (reanchored.length > 0) {
      expect(reanchored).toHaveLength(3);
      for (const row of reanchored) expect(row.reanchoredErrorPct).not.toBeNull();
      expect(String(verified.stdout)).toMatch(/RE-ANCHORED/);
    } else {
      expect(result.reanchored?.refused.length).toBeGreaterThan(0);
      expect(String(verified.stdout)).toContain(
        `no re-anchored prediction: ${result.reanchored!.refused[0]}`,
      );
    }
    expect(result.decision.rule?.beyondNoise).toBe(true);
    expect(result.diff.added.some((line) => /qps/.test(line))).toBe(true);

    // the generation metric moved to the hash of what was applied, and it is still in force
    expect(result.settle).toMatchObject({ method: 'metric', after: { hash: result.appliedHash } });
    if (result.settle?.method !== 'metric') throw new Error('unreachable');
    expect(result.settle.before?.hash).toBe(generationBefore!.hash);
    expect(result.settle.after.hash).not.toBe(generationBefore!.hash);
    expect(result.settle.after.generation).toBeGreaterThan(generationBefore!.generation);
    expect((await generation())?.hash).toBe(result.appliedHash);
    const live = await configMapState();
    expect(live?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'vitictl' });

    expect(readFileSync(`${dir}/report.md`, 'utf8')).toMatch(/## vitictl tune verify: ✅ kept/);
    const page = readFileSync(`${dir}/report.html`, 'utf8');
    expect(page).toMatch(/Prediction vs measured/);
    expect(page).toMatch(/Before \/ after/);
    const afterRun = readJson<RunResult>(`${dir}/after.json`);
    expect(afterRun.apply?.counts.ready).toBe(60);
    // observed as the first run was (the API server too), so a next step can be tuned from it
    expect(afterRun.apiserver?.requests).toBeGreaterThan(0);
    expect(afterRun.observe?.intervalSeconds).toBe(readJson<RunResult>(before).observe?.intervalSeconds);
    if (result.tune.prediction?.step)
      expect(result.notes.join('\n')).toMatch(/run tune verify again from the re-run/);
  });

  it('rolls back a recommendation that is not better enough: the ConfigMap byte for byte as it was, or absent again; exit 3', async () => {
    await setOperatorConfig(TEST_LAB_CONFIG);
    // 99%: the re-run's p99 is at least the operator's provisioning p99 (about 1 s), so keeping would
    // need a recorded p99 near 100 s. 90% was once reached when a busy CI machine queued the record.
    const good = await record('good.json', 100);

    // present: replaced exactly
    const present = await configMapState();
    const dir = temp.path('present');
    const verified = await vitictl(
      [
        'tune',
        'verify',
        '--from',
        good,
        '--min-improvement',
        '99',
        '--rounds',
        '2',
        '--metrics',
        metricsUrl(),
        '--out-dir',
        dir,
      ],
      { env: env() },
    );
    expect(verified.exitCode, String(verified.stderr)).toBe(3);
    const result = readJson<VerifyResult>(`${dir}/verify.json`);
    expect(result.decision.verdict).toBe('rolled-back');
    expect(result.decision.reason).toMatch(
      /less than the required improvement of 99%|not better in every round|within the noise/,
    );
    expect(result.restored).toBe('replaced');
    expect(await configMapState()).toEqual(present);
    // two rounds: the live config back between them, then the recommendation again
    expect(result.rounds).toHaveLength(2);
    expect(result.decision.rule?.rounds).toHaveLength(2);
    expect(new Set(result.rounds.flatMap((r) => [r.baseline.runId, r.after?.runId])).size).toBe(4);
    // each round's baseline refitted
    expect(result.reanchored?.fits.map((entry) => entry.runId)).toEqual(
      result.rounds.map((round) => round.baseline.runId),
    );
    expect(readJson<RunResult>(`${dir}/baseline-2.json`).apply?.counts.ready).toBe(100);
    expect(readJson<RunResult>(`${dir}/after-2.json`).apply?.counts.ready).toBe(100);
    expect(String(verified.stderr)).toMatch(/re-measuring the baseline \(round 2\)/);
    expect(readFileSync(`${dir}/report.md`, 'utf8')).toMatch(/rolled back to the previous config/);

    // absent: the ConfigMap verify created is deleted again
    expect((await kubectl(['delete', 'configmap', CM, '-n', NS])).exitCode).toBe(0);
    await waitForHash('absent');
    const absentDir = temp.path('absent');
    const again = await vitictl(
      [
        'tune',
        'verify',
        '--from',
        good,
        '--min-improvement',
        '99',
        '--metrics',
        metricsUrl(),
        '--out-dir',
        absentDir,
      ],
      { env: env() },
    );
    expect(again.exitCode, String(again.stderr)).toBe(3);
    const absent = readJson<VerifyResult>(`${absentDir}/verify.json`);
    expect(absent.diff.existed).toBe(false);
    expect(absent.restored).toBe('deleted');
    expect(await configMapState()).toBeNull();
    expect((await generation())?.hash).toBe('absent');
  });

  /** Start verify and send SIGTERM a second after stderr shows `when`. */
  async function terminateWhen(good: string, dir: string, when: RegExp) {
    const child = vitictl(['tune', 'verify', '--from', good, '--metrics', metricsUrl(), '--out-dir', dir], {
      env: env(),
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (when.test(seen)) setTimeout(resolve, 1000);
      });
      child.once('exit', () => reject(new Error(`verify ended before ${when}: ${seen}`)));
    });
    child.kill('SIGTERM');
    return child;
  }

  it('SIGTERM during the re-run restores the previous ConfigMap and exits 143', async () => {
    const replaced = await kubectl(['replace', '-f', '-'], original);
    if (replaced.exitCode !== 0) expect((await kubectl(['create', '-f', '-'], original)).exitCode).toBe(0);
    await waitForWorkers(TEST_LAB_CONFIG.workers);
    const good = await record('good.json', 200);
    const before = await configMapState();
    const hashBefore = (await generation())?.hash;
    const dir = temp.path('term');
    const result = await terminateWhen(good, dir, /re-running the load/);
    expect(result.exitCode, String(result.stderr)).toBe(143);
    expect(String(result.stderr)).toMatch(/the previous ConfigMap is back as it was/);
    expect(await configMapState()).toEqual(before);
    const verified = readJson<VerifyResult>(`${dir}/verify.json`);
    expect(verified.decision.verdict).toBe('interrupted');
    expect(verified.restored).toBe('replaced');
    expect(existsSync(`${dir}/after.json`)).toBe(true);
    expect(verified.after?.interrupted).toBe(true);
    expect((await generation())?.hash).toBe(hashBefore);

    // during the baseline: nothing was applied yet, so nothing changes; its objects are cleaned up
    const early = temp.path('term-baseline');
    const stopped = await terminateWhen(good, early, /re-measuring the baseline/);
    expect(stopped.exitCode, String(stopped.stderr)).toBe(143);
    expect(String(stopped.stderr)).not.toMatch(/applied the recommended ConfigMap/);
    expect(await configMapState()).toEqual(before);
    const interrupted = readJson<VerifyResult>(`${early}/verify.json`);
    expect(interrupted.decision).toMatchObject({ verdict: 'interrupted', rule: null });
    expect(interrupted.decision.reason).toMatch(
      /while re-measuring the baseline; the ConfigMap was not touched/,
    );
    expect(interrupted.restored).toBe('not-needed');
    expect(interrupted.after).toBeNull();
    const baseline = readJson<RunResult>(`${early}/baseline.json`);
    expect(baseline.interrupted).toBe(true);
    const left = await kubectl([
      'get',
      'machines',
      '-A',
      '-l',
      `vitictl.io/run-id=${baseline.runId}`,
      '-o',
      'name',
    ]);
    expect(String(left.stdout).trim()).toBe('');
  });
});
