import type { ApiServerSection } from '../report/sections/apiserver.js';
import { formatMs } from '../util/duration.js';
import type { Style } from './style.js';

/** The apiserver section in the terminal summary (two lines) and in report.md (a short table). Pure. */

const ms = (value: number | null) => (value === null ? '-' : formatMs(value));

export function apiserverLines(a: ApiServerSection, style: Style): string[] {
  const sli = a.sli.checks
    .filter((c) => c.verdict !== 'no-data')
    .map((c) => {
      const text = `${c.name} p99 ${ms(c.p99Ms)}`;
      return c.verdict === 'fail' ? style.red(`${text} > ${formatMs(c.thresholdMs)}`) : text;
    });
  const rejected = a.flowControl.rejected;
  return [
    `api server: ${a.requests} requests (${a.mutatingRequests} mutating) · ${sli.join(' · ') || 'no SLI data'}`,
    `  flow control: ${rejected === null ? 'not served' : rejected > 0 ? style.red(`${rejected} rejected`) : '0 rejected'} · in flight max ${a.inflight.mutatingMax ?? '-'} mutating, ${a.inflight.readOnlyMax ?? '-'} read-only · etcd request p99 ${ms(a.etcd.requestP99Ms)}, commit p99 ${ms(a.etcd.commitP99Ms)}`,
  ];
}

export function apiserverMarkdown(a: ApiServerSection): string[] {
  const rejected = a.flowControl.rejected;
  return [
    `**API server** (${a.requests} requests, ${a.mutatingRequests} mutating; flow control ${rejected === null ? 'not served' : `${rejected} rejected`}; etcd request p99 ${ms(a.etcd.requestP99Ms)}, commit p99 ${ms(a.etcd.commitP99Ms)}, fsync p99 ${ms(a.etcd.fsyncP99Ms)})`,
    '',
    '| API call SLI | requests | p99 | threshold | |',
    '|---|---|---|---|---|',
    ...a.sli.checks.map(
      (c) =>
        `| ${c.name} | ${c.requests} | ${ms(c.p99Ms)} | ${formatMs(c.thresholdMs)} | ${c.verdict === 'pass' ? '✅' : c.verdict === 'fail' ? '❌' : 'no data'} |`,
    ),
    '',
  ];
}
