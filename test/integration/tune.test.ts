import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/run-result.js';
import type { TuneResult } from '../../src/report/sections/tune.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { kubectl, lab, setOperatorConfig, TEST_LAB_CONFIG, waitForWorkers } from '../helpers/lab.js';

const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });

describe('vitictl tune: the proof, at a modest size, in the lab', () => {
  const temp = useTempDir();

  it('finds the QPS limit, recommends workers and QPS with evidence, applies server-side, and the re-run is faster', async () => {
    const metrics = `http://127.0.0.1:${lab().ports.metrics}/metrics`;
    await setOperatorConfig({ workers: 1, qps: 5, burst: 10 });
    try {
      const before = (await temp.write('x', '')).replace(/x$/, 'before.json');
      const first = await vitictl(
        [
          'apply',
          'machines',
          '--count',
          '60',
          '--qps',
          '20',
          '--metrics',
          metrics,
          '--metrics-interval',
          '1s',
          '--out',
          before,
          '-q',
        ],
        { env: env() },
      );
      expect(first.exitCode, String(first.stderr)).toBe(0);

      const tuned = await vitictl(['tune', '--from', before, '-o', 'json'], { env: env() });
      expect(tuned.exitCode, String(tuned.stderr)).toBe(0);
      const result = JSON.parse(String(tuned.stdout)) as TuneResult;
      expect(result.currentSource).toBe('live ConfigMap vitistack-system/vitistack-performance-config');
      expect(result.diagnosis.bottleneck).toBe('client-qps');
      const knob = (name: string) => result.recommendations.find((r) => r.knob === name)!;
      expect(knob('rateLimit.qps')).toMatchObject({ current: 5, changed: true });
      const recommendedQps = Number(knob('rateLimit.qps').recommended);
      // the formulas ask for far more; beyond what this run saw, the recommendation is a step toward it
      const step = result.prediction?.step ?? null;
      expect(step?.target.qps ?? recommendedQps).toBeGreaterThan(50);
      if (step)
        expect(knob('rateLimit.qps').why).toMatch(/a step toward \d+, as far as the model can predict/);
      expect(recommendedQps).toBeGreaterThan(5);
      expect(knob('controller.maxConcurrentReconciles').evidence).toHaveProperty('S work (s)');
      expect(knob('rateLimit.qps').formula).toMatch(/^QPS = ⌈1\.5·λ·R⌉/);

      // the ConfigMap as emitted is valid for kubectl apply, as is
      const file = temp.path('tuned.yaml');
      expect((await vitictl(['tune', '--from', before, '--out', file, '-q'], { env: env() })).exitCode).toBe(
        0,
      );
      const dry = await kubectl(['apply', '--dry-run=server', '-f', file]);
      expect(dry.exitCode, String(dry.stderr)).toBe(0);
      expect(readFileSync(file, 'utf8')).toMatch(/# rateLimit\.qps: 5 → \d+: the client must not throttle/);

      const applied = await vitictl(['tune', '--from', before, '--apply', '-o', 'table'], { env: env() });
      expect(applied.exitCode, String(applied.stderr)).toBe(0);
      expect(String(applied.stderr)).toMatch(
        /applied vitistack-system\/vitistack-performance-config \(server-side apply, field manager vitictl\)/,
      );
      await waitForWorkers(Number(knob('controller.maxConcurrentReconciles').recommended));

      const after = temp.path('after.json');
      const second = await vitictl(
        ['apply', 'machines', '--count', '60', '--qps', '20', '--out', after, '-q'],
        { env: env() },
      );
      expect(second.exitCode).toBe(0);
      const p99 = (file: string) =>
        (JSON.parse(readFileSync(file, 'utf8')) as RunResult).apply!.latency.timeToReady.p99;
      // the objects wait for the limiter's tokens: the re-run is faster about as QPS was raised
      expect(p99(after)).toBeLessThan(p99(before) / Math.min(5, 0.5 * (recommendedQps / 5)));
    } finally {
      await setOperatorConfig(TEST_LAB_CONFIG);
    }
  });

  it('refuses a file that is not a RunResult, and a run without signals, with exit 2', async () => {
    const notRun = await temp.write('not-run.json', '{"hello": 1}');
    const bad = await vitictl(['tune', '--from', notRun], { env: env() });
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/^error: .*not-run\.json: .*not a RunResult/m);
    const plain = temp.path('plain.json');
    expect(
      (await vitictl(['apply', 'machines', '--count', '5', '--out', plain, '-q'], { env: env() })).exitCode,
    ).toBe(0);
    const noSignals = await vitictl(['tune', '--from', plain], { env: env() });
    expect(noSignals.exitCode).toBe(2);
    expect(String(noSignals.stderr)).toMatch(/has no controller signals/);
  });
});
