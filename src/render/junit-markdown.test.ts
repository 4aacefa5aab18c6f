import { describe, expect, it } from 'vitest';
import { newRetryCounters } from '../kube/retry.js';
import { PhaseTally, phaseLoad } from '../load/phases/summary.js';
import { newHistogram, recordMs } from '../report/histogram.js';
import type { RunResult } from '../report/run-result.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

const run = {
  runId: 'r<1>',
  scenario: { name: 'machines', file: 'f', seed: 1, objects: 10 },
  target: { server: 'https://x', context: 'c', kubernetesVersion: 'v1.37.2', insecureSkipTlsVerify: false },
  startedAt: '2026-11-26T08:00:00.000Z',
  endedAt: '2026-11-26T08:00:30.000Z',
  interrupted: false,
  phases: [],
  profile: { name: 'smoke', file: 'p', kind: 'smoke' },
  gates: [
    {
      gate: 'ready.p99 < 30s',
      metric: 'ready.p99',
      op: '<',
      threshold: 30000,
      value: 1200,
      unit: 'ms',
      passed: true,
      message: 'ready.p99 = 1.20s, within < 30.00s',
    },
    {
      gate: 'create.errorRate < 1% & "more"',
      metric: 'create.errorRate',
      op: '<',
      threshold: 1,
      value: 2,
      unit: '%',
      passed: false,
      message: 'create.errorRate = 2.00%, 1.00% over 1.00%',
    },
  ],
} as unknown as RunResult;

describe('junit', () => {
  it('has one test case per gate, the failed one with its message, XML-escaped', () => {
    const xml = renderJunit(run);
    expect(xml).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites tests="2" failures="1" time="30\.000">/,
    );
    expect(xml).toContain(
      '<testcase classname="vitictl smoke machines" name="create.errorRate &lt; 1% &amp; &quot;more&quot;">',
    );
    expect(xml).toContain('<failure message="create.errorRate = 2.00%, 1.00% over 1.00%" type="gate">');
    expect(xml).toContain('<property name="runId" value="r&lt;1&gt;"/>');
  });

  it('shows control characters as escapes: XML 1.0 allows none, so a raw ESC made the file unreadable', () => {
    const xml = renderJunit({ ...run, runId: 'r\u001b[31m\u0007' });
    expect(xml).toContain('<property name="runId" value="r\\u001b[31m\\u0007"/>');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

describe('markdown', () => {
  it('leads with the verdict and lists every gate', () => {
    const md = renderMarkdown(run);
    expect(md.split('\n')[0]).toBe('## vitictl smoke: ❌ 1 of 2 gates failed');
    expect(md).toContain('| `ready.p99 < 30s` | ready.p99 = 1.20s, within < 30.00s | ✅ |');
    expect(md).toContain(
      '| `create.errorRate < 1% & "more"` | create.errorRate = 2.00%, 1.00% over 1.00% | ❌ |',
    );
  });

  it('never turns names from a hand-made run.json into HTML outside code spans; comparisons stay readable', () => {
    const md = renderMarkdown({
      ...run,
      scenario: { ...run.scenario, name: '<img src=x onerror=alert(1)>' },
      target: { ...run.target, server: 'https://x/&#60;script&#62;' },
    });
    expect(md).toContain('scenario **&lt;img src=x onerror=alert(1)>**');
    expect(md).toContain('https://x/&amp;#60;script&amp;#62;');
    expect(md).not.toContain('<img');
    expect(md).toContain('within < 30.00s');
    // a backtick in the run id cannot close its code span and let HTML out
    const ticked = renderMarkdown({ ...run, runId: 'a`<script>alert(1)</script>`b' });
    expect(ticked).toContain('Run ``a`<script>alert(1)</script>`b``');
  });
});

describe('markdown with a metrics target that never answered', () => {
  it('quotes one warning line with the last cause and the hint', () => {
    const md = renderMarkdown({
      ...run,
      observe: {
        intervalSeconds: 1,
        window: { start: run.startedAt, end: run.endedAt },
        targets: [
          {
            target: 'http://127.0.0.1:1/metrics',
            scrapes: 0,
            failures: 31,
            lastFailure: {
              at: run.endedAt,
              kind: 'connection',
              reason: 'refused (ECONNREFUSED) connect ECONNREFUSED 127.0.0.1:1',
              hint: 'nothing listens there',
            },
            signals: null,
          },
          { target: 'http://127.0.0.1:2/metrics', scrapes: 31, failures: 0, signals: null },
        ],
      },
    });
    expect(md.split('\n').filter((line) => line.startsWith('> '))).toEqual([
      '> ⚠️ metrics target http://127.0.0.1:1/metrics never answered (31 scrapes failed, last: refused (ECONNREFUSED) connect ECONNREFUSED 127.0.0.1:1): no controller signals from it; hint: nothing listens there',
    ]);
  });
});

describe('markdown of a lifecycle', () => {
  it('has a row per phase whose counts add up, its latencies with what they measure, and the failure reasons', () => {
    const tally = new PhaseTally();
    tally.add({ key: 'ns/a', state: 'ready', sentAt: 0 });
    tally.add({
      key: 'ns/b',
      state: 'timedOut',
      sentAt: 0,
      reason: 'not gone after 3s (no deprovisioning seen)',
    });
    const done = newHistogram();
    recordMs(done, 1500);
    const load = phaseLoad(
      tally,
      { request: newHistogram(), done },
      { verb: 'delete', requestedRate: 5, selected: 3, counters: newRetryCounters() },
    );
    const markdown = renderMarkdown({
      ...run,
      phases: [{ name: 'delete-all', start: run.startedAt, end: run.endedAt, seconds: 30, load }],
    });
    expect(markdown).toContain('| delete-all | delete 3 objects at 5/s | 2 | 1 | 0 | 1 | 1 |');
    expect(markdown).toContain('| delete-all | DELETE answered → gone | 1.50s |');
    expect(markdown).toContain('- delete-all: 1 × not gone after 3s (no deprovisioning seen)');
  });
});
