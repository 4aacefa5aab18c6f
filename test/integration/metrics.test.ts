import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACCEPT } from '../../src/observe/metrics/fetch-body.js';
import { parseExposition } from '../../src/observe/metrics/parse.js';
import type { Signals } from '../../src/report/sections/signals.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { kubectl, lab, setOperatorConfig, TEST_LAB_CONFIG } from '../helpers/lab.js';

describe('metrics from the lab operator under a known load', () => {
  const temp = useTempDir();

  it('one worker, arrivals faster than it serves: S̄ ≈ the provisioning time, ρ ≥ 1, the queue grows', async () => {
    const state = lab();
    await setOperatorConfig({ ...TEST_LAB_CONFIG, workers: 1 });
    try {
      const out = (await temp.write('x', '')).replace(/x$/, 'scrapes.json');
      const load = vitictl(['apply', 'machines', '--count', '400', '--qps', '80', '--no-wait', '-q'], {
        env: { NO_COLOR: '1', KUBECONFIG: state.kubeconfig },
      });
      const scrape = await vitictl([
        'metrics',
        'scrape',
        `http://127.0.0.1:${state.ports.metrics}/metrics`,
        '--interval',
        '500ms',
        '--duration',
        '4s',
        '--out',
        out,
        '-o',
        'json',
        '-q',
      ]);
      await load;
      expect(scrape.exitCode, String(scrape.stderr)).toBe(0);
      const signals = (JSON.parse(String(scrape.stdout)) as { signals: Signals[] }).signals[0]!;
      const machine = signals.controllers.find((c) => c.controller === 'machine')!;
      expect(machine.workers).toBe(1);
      // the test lab provisions for a fixed 20 ms, plus one GET and three writes on loopback
      expect(machine.serviceMean).toBeGreaterThan(0.02);
      // an upper bound with room for a busy 2-core machine, where the API calls slow down
      expect(machine.serviceMean).toBeLessThan(0.5);
      expect(machine.utilization!).toBeGreaterThan(0.9);
      expect(machine.arrivalRate).toBeGreaterThan(machine.throughput);
      expect(machine.queueDepthMax).toBeGreaterThan(10);
      expect(signals.process.restRequestsPerReconcile!).toBeGreaterThan(3);
      const saved = await vitictl(['metrics', 'signals', out, '-o', 'json']);
      const again = (JSON.parse(String(saved.stdout)) as Signals[])[0]!.controllers.find(
        (c) => c.controller === 'machine',
      )!;
      expect(again.throughput).toBeCloseTo(machine.throughput, 9);
      expect(JSON.parse(readFileSync(out, 'utf8')).kind).toBe('vitictl.io/Scrapes');
    } finally {
      await setOperatorConfig(TEST_LAB_CONFIG);
      await kubectl(['delete', 'machines', '-A', '-l', 'vitictl.io/set=machines', '--wait=false']);
    }
  });

  it('scrapes a pod-style target through the API server proxy and reports a clear error for a missing pod', async () => {
    const result = await vitictl(['metrics', 'scrape', 'pod/no-such-pod:8080', '-n', 'default', '--once'], {
      env: { NO_COLOR: '1', KUBECONFIG: lab().kubeconfig },
    });
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(
      /^error: no scrape succeeded: pod\/default\/no-such-pod:8080\/metrics: HTTP 404: pods "no-such-pod" not found$/m,
    );
  });

  it("the operator's real exposition passes strict parsing (controller-runtime serves text 0.0.4, even to an OpenMetrics Accept)", async () => {
    const response = await fetch(`http://127.0.0.1:${lab().ports.metrics}/metrics`, {
      headers: { accept: ACCEPT },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const parsed = parseExposition(new Uint8Array(await response.arrayBuffer()), {
      strict: true,
      format: 'text',
    });
    expect(parsed.families.get('controller_runtime_reconcile_total')?.type).toBe('counter');
    expect(parsed.families.get('workqueue_queue_duration_seconds')?.type).toBe('histogram');
  });
});
