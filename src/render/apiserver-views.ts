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
    ...(a.cpu.cores !== null ? [`  cpu: ${cpuText(a)}`] : []),
    ...(a.admissionWebhooks.length > 0 ? [`  admission webhooks: ${webhooksText(a)}`] : []),
  ];
}

/** "1.25 of 2 cores (GOMAXPROCS) · its goroutines waited for a core p99 4.1ms" */
export function cpuText(a: ApiServerSection): string {
  const { cores, gomaxprocs, schedWaitP99Ms } = a.cpu;
  return [
    `${cores === null ? '-' : cores.toFixed(2)} of ${gomaxprocs ?? '-'} cores (GOMAXPROCS)`,
    ...(schedWaitP99Ms === null ? [] : [`its goroutines waited for a core p99 ${ms(schedWaitP99Ms)}`]),
  ].join(' · ');
}

/** "vmachine.vitistack.io (validating) 40/s mean 12ms p99 30ms; …" against the mean write */
function webhooksText(a: ApiServerSection): string {
  const rows = a.admissionWebhooks
    .slice(0, 3)
    .map(
      (w) =>
        `${w.name} (${w.type}) ${w.perSecond.toFixed(1)}/s mean ${formatMs(w.meanMs)} p99 ${ms(w.p99Ms)}${w.rejected > 0 ? `, ${w.rejected} rejected` : ''}`,
    );
  return `${rows.join('; ')} · a write takes ${ms(a.mutatingMeanMs)} on average`;
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
    ...(a.cpu.cores !== null ? [`CPU: ${cpuText(a)}.`, ''] : []),
    ...(a.admissionWebhooks.length > 0 ? [`Admission webhooks: ${webhooksText(a)}.`, ''] : []),
  ];
}
