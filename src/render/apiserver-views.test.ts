import { describe, expect, it } from 'vitest';
import { recorded, recordedStore } from '../observe/apiserver/fixtures/recorded.js';
import { computeApiServerSignals } from '../observe/apiserver/signals.js';
import type { ApiServerSection } from '../report/sections/apiserver.js';
import { formatMs } from '../util/duration.js';
import { apiserverLines, apiserverMarkdown } from './apiserver-views.js';
import { apiserverSection } from './html/sections/apiserver.js';
import { makeStyle } from './style.js';

/** The views of a section computed from the recorded lab scrapes: they show what was measured. */
const section: ApiServerSection = {
  target: 'https://127.0.0.1:6443',
  etcdTarget: 'http://127.0.0.1:2379/metrics',
  failures: 0,
  ...computeApiServerSignals(
    recordedStore('apiserver'),
    recordedStore('etcd'),
    recorded('apiserver-before').at,
  ),
};
const mutating = section.sli.checks.find((c) => c.name === 'mutating')!;

describe('apiserver views', () => {
  it('terminal: requests, the SLIs measured, flow control and etcd in two lines', () => {
    const lines = apiserverLines(section, makeStyle(false));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      `api server: ${section.requests} requests (${section.mutatingRequests} mutating) · mutating p99 ${formatMs(mutating.p99Ms!)}`,
    );
    expect(lines[1]).toContain(`etcd request p99 ${formatMs(section.etcd.requestP99Ms!)}`);
    expect(lines[1]).toContain(`${section.flowControl.rejected} rejected`);
  });

  it('terminal, markdown and html: the server’s cores and its wait for a core, when its metrics had them', () => {
    const busy = { ...section, cpu: { cores: 1.254, gomaxprocs: 2, schedWaitP99Ms: 6.3 } };
    const text = '1.25 of 2 cores (GOMAXPROCS) · its goroutines waited for a core p99 6.3ms';
    expect(apiserverLines(busy, makeStyle(false))[2]).toBe(`  cpu: ${text}`);
    expect(apiserverMarkdown(busy)).toContain(`CPU: ${text}.`);
    expect(apiserverSection(busy).text).toContain(text);
    const unknown = { ...section, cpu: { cores: null, gomaxprocs: null, schedWaitP99Ms: null } };
    expect(apiserverLines(unknown, makeStyle(false)).join('\n')).not.toContain('cpu:');
  });

  it('markdown: one row per SLI with its verdict', () => {
    const text = apiserverMarkdown(section).join('\n');
    expect(text).toContain(`| mutating | ${mutating.requests} | ${formatMs(mutating.p99Ms!)} | 1.00s | ✅ |`);
    expect(text).toContain('| list-namespace | 0 | - | 5.00s | no data |');
  });

  it('html: the section, its SLI table and the chart over time', () => {
    const two = {
      ...section,
      series: [{ t: 1, requestsPerSecond: 10, mutatingP99Ms: 20, inflight: 1 }, ...section.series],
    };
    const html = apiserverSection(two).text;
    expect(html).toContain('<section id="apiserver">');
    expect(html).toContain('API server mutating p99 and request rate over time');
    expect(html).toContain(formatMs(mutating.p99Ms!));
  });
});
