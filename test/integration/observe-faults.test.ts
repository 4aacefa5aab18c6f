import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/lab/ports.js';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

const SECRET = 's3cret';
const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });
/** apply with controller metrics from `url`, scraped every 500 ms */
const applyScraping = (url: string, extra: string[]) =>
  vitictl(
    [
      'apply',
      'machines',
      '--count',
      '20',
      '--qps',
      '20',
      '--metrics',
      url,
      '--metrics-interval',
      '500ms',
      ...extra,
    ],
    { env: env() },
  );
const warnings = (stderr: unknown) =>
  String(stderr)
    .split('\n')
    .filter((line) => line.startsWith('warning:'));

describe('metrics targets that never answer, and credentials in their URLs (against the lab)', () => {
  const temp = useTempDir();

  it('apply scraping the API server with a bogus token: one warning naming the 401 with a bearer-token hint, recorded in run.json', async () => {
    const state = lab();
    const token = await temp.write('bogus-token', 'not-a-valid-token\n');
    const out = temp.path('run.json');
    const url = `https://127.0.0.1:${state.ports.apiserver}/metrics`;
    const result = await applyScraping(url, [
      '--ca',
      state.certs.ca,
      '--bearer-token-file',
      token,
      '--out',
      out,
      '-q',
    ]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const target = run.observe!.targets[0]!;
    expect(target).toMatchObject({
      target: url,
      scrapes: 0,
      signals: null,
      lastFailure: { kind: 'http', status: 401, reason: 'HTTP 401: Unauthorized' },
    });
    expect(target.failures).toBeGreaterThanOrEqual(2);
    expect(warnings(result.stderr)).toEqual([
      `warning: metrics target ${url} never answered (${target.failures} scrapes failed, last: HTTP 401: Unauthorized): no controller signals from it; hint: ${target.lastFailure!.hint}`,
    ]);
    expect(target.lastFailure!.hint).toMatch(/bearer token/);
    expect(`${result.stdout}${result.stderr}${readFileSync(out, 'utf8')}`).not.toContain('not-a-valid-token');
  });

  it('apply scraping the operator through a URL with credentials: scrapes succeed, no output holds them', async () => {
    const state = lab();
    await temp.write('.keep', '');
    const out = temp.path('run.json');
    const url = `http://scraper:${SECRET}@127.0.0.1:${state.ports.metrics}/metrics?access_token=${SECRET}`;
    const result = await applyScraping(url, ['--out', out]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const saved = readFileSync(out, 'utf8');
    const run = JSON.parse(saved) as RunResult;
    expect(run.observe!.targets[0]!.target).toBe(
      `http://REDACTED@127.0.0.1:${state.ports.metrics}/metrics?access_token=REDACTED`,
    );
    expect(run.observe!.targets[0]!.scrapes).toBeGreaterThanOrEqual(2);
    const html = await vitictl(['report', 'show', out, '-o', 'html']);
    const md = await vitictl(['report', 'show', out, '-o', 'markdown']);
    const junit = await vitictl(['report', 'show', out, '-o', 'junit']);
    for (const text of [result.stdout, result.stderr, saved, html.stdout, md.stdout, junit.stdout])
      expect(String(text)).not.toContain(SECRET);
    expect(String(html.stdout)).toContain('http://REDACTED@127.0.0.1:');
  });

  it('perf run with a metrics target on a closed port: the signal gate fails, the warning is on stderr, in report.md and report.html, no secret anywhere', async () => {
    await temp.write('.keep', '');
    const closed = await freePort();
    const url = `http://u:${SECRET}@127.0.0.1:${closed}/metrics?token=${SECRET}`;
    const shown = `http://REDACTED@127.0.0.1:${closed}/metrics?token=REDACTED`;
    const profile = await temp.write(
      'closed.yaml',
      `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: closed}
spec:
  type: smoke
  scenario: machines
  count: 30
  load: {qps: 30}
  timeout: 1m
  observe: {metrics: "${url}", interval: 500ms}
  gates:
    - ready.failedRate < 1%
    - controller.reconcile.p95 < 2s
`,
    );
    const outDir = temp.path('out');
    const result = await vitictl(['perf', 'run', profile, '--out-dir', outDir, '-q'], { env: env() });
    expect(result.exitCode, String(result.stderr)).toBe(3);
    const files = ['run.json', 'report.md', 'junit.xml', 'report.html'].map((name) =>
      readFileSync(join(outDir, name), 'utf8'),
    );
    const run = JSON.parse(files[0]!) as RunResult;
    const gate = run.gates!.find((g) => g.metric === 'controller.reconcile.p95')!;
    expect(gate).toMatchObject({ passed: false, value: null });
    const target = run.observe!.targets[0]!;
    expect(target).toMatchObject({ target: shown, scrapes: 0, lastFailure: { kind: 'connection' } });
    const line = `metrics target ${shown} never answered (${target.failures} scrapes failed, last: refused (ECONNREFUSED) connect ECONNREFUSED 127.0.0.1:${closed}): no controller signals from it; hint: ${target.lastFailure!.hint}`;
    expect(warnings(result.stderr)).toEqual([`warning: ${line}`]);
    expect(files[1]).toContain(`> ⚠️ ${line}`);
    expect(files[3]).toContain(`warning: ${line}`);
    for (const text of [result.stdout, result.stderr, ...files]) expect(String(text)).not.toContain(SECRET);
  });
});
