import type { WebhookResult } from '../report/sections/webhook.js';
import type { Style } from './style.js';
import { pacingText } from './summary-text.js';
import { borderlessTable, trimLines } from './table.js';

const count = (value: number) => value.toLocaleString('en-US');

/** µs → the shortest readable unit */
export function formatUs(value: number): string {
  if (value < 1000) return `${Math.round(value)}µs`;
  if (value < 1_000_000) return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)}ms`;
  return `${(value / 1_000_000).toFixed(2)}s`;
}

function bucketLabel(le: number | '+Inf'): string {
  if (le === '+Inf') return '+Inf';
  return le < 1 ? `${le * 1000}ms` : `${le}s`;
}

function tlsLine(result: WebhookResult, style: Style): string {
  const { tls } = result;
  const how =
    tls.verified === 'none'
      ? style.red('NOT VERIFIED (--insecure-skip-tls-verify)')
      : tls.verified === 'every-connection'
        ? style.green('verified on every connection')
        : `${style.green('verified')} by the preflight (autocannon does not verify)`;
  const cert = tls.peer.subject
    ? ` · cert ${tls.peer.subject} by ${tls.peer.issuer || '?'}, valid to ${tls.peer.validTo.slice(0, 10)}`
    : '';
  return `tls      ${how} · CA from ${tls.caOrigin} · name ${tls.serverName}${tls.protocol ? ` · ${tls.protocol}` : ''}${tls.clientCertificate ? ' · client cert' : ''}${cert}`;
}

function loadLine(result: WebhookResult, style: Style): string {
  const { load, generator, requests } = result;
  const span = `${count(requests.sent)} sent in ${load.durationSeconds.toFixed(1)}s`;
  if (result.engine === 'open-loop') {
    const pacing = generator.pacing
      ? pacingText(generator.pacing, { rateFlag: '--rate', scrapedApiServer: false })
      : undefined;
    const kept = generator.keptUp
      ? 'generator kept up'
      : style.yellow(
          `generator fell behind (${generator.lateStarts} starts > 10 ms late, max ${generator.maxStartLagMs} ms)${pacing?.warning ? `: ${pacing.warning}` : ''}`,
        );
    const lag = pacing
      ? ` · ${pacing.text}`
      : generator.startLagP50Ms === null
        ? ''
        : ` · start lag p50 ${generator.startLagP50Ms} ms, p99 ${generator.startLagP99Ms} ms`;
    return `load     open loop ${load.requestedRate}/s → achieved ${count(load.achievedRate)}/s · ${span} · max ${generator.maxStartsIn10ms} starts in 10 ms (even share ${generator.evenShareIn10ms})${lag} · ${kept}`;
  }
  const busy = generator.keptUp ? '' : ` · ${style.yellow('generator CPU-bound')}`;
  return `load     closed loop, ${load.connections} connections → ${count(load.throughput)}/s · ${span}${busy}`;
}

/** The terminal summary of a webhook bench. Pure: result in, text out. */
export function renderWebhookSummary(result: WebhookResult, style: Style): string {
  const lines: string[] = [];
  const { target, counts } = result;
  const from = target.configuration
    ? ` in ${target.configuration}${target.webhook ? `/${target.webhook}` : ''}`
    : '';
  lines.push(
    `${style.bold('webhook')}  ${target.url}${from} (${target.type}, failurePolicy ${target.failurePolicy}, timeout ${target.timeoutSeconds}s)`,
  );
  lines.push(tlsLine(result, style));
  lines.push(loadLine(result, style));
  const failed = (label: string, value: number) =>
    value > 0 ? style.red(`${label} ${count(value)}`) : `${label} 0`;
  lines.push(
    `answers  allowed ${count(counts.okAllowed)} · denied ${count(counts.okDenied)} · ${failed('http errors', counts.httpError)} · ${failed('timeouts', counts.timeout)} · ${failed('would fail in API server', counts.wouldFail)}${result.requests.unanswered > 0 ? ` · cut off at the end ${count(result.requests.unanswered)}` : ''}`,
  );
  const fp = result.failurePolicy;
  lines.push(
    `policy   failurePolicy ${fp.policy}: the API server would admit ${count(fp.admitted)} and reject ${count(fp.rejected)} (${count(fp.failedCalls)} failed calls${fp.failedCalls > 0 ? (fp.policy === 'Fail' ? ' rejected' : ' admitted') : ''})`,
  );
  const l = result.latency;
  const table = borderlessTable(['LATENCY', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'samples'], style);
  const origin = result.engine === 'open-loop' ? 'from intended start' : 'per request';
  table.push([
    origin,
    ...[l.p50, l.p90, l.p99, l.p999, l.p9999, l.max].map((v) => (l.count === 0 ? '-' : formatUs(v))),
    count(l.count),
  ]);
  const u = result.latencyUncorrected;
  if (u && u.count > 0) {
    table.push([
      'from send (uncorrected)',
      ...[u.p50, u.p90, u.p99, u.p999, u.p9999, u.max].map(formatUs),
      '',
    ]);
  }
  if (result.autocannonLatencyMs) {
    const a = result.autocannonLatencyMs;
    table.push(['autocannon (1 ms res.)', `${a.p50}ms`, '', `${a.p99}ms`, '', '', `${a.max}ms`, '']);
  }
  lines.push(trimLines(table.toString()));
  lines.push(
    `API-server buckets (le → count): ${result.apiServerBuckets.map((b) => `${bucketLabel(b.le)} ${count(b.count)}`).join(' · ')}`,
  );
  const errors = Object.entries(result.errors);
  if (errors.length > 0)
    lines.push(style.red(`errors: ${errors.map(([reason, n]) => `${reason} ×${count(n)}`).join(', ')}`));
  if (result.deniedWithoutStatus > 0) {
    lines.push(
      style.yellow(
        `${count(result.deniedWithoutStatus)} denials without response.status ("denied the request without explanation")`,
      ),
    );
  }
  for (const note of result.notes) lines.push(style.dim(`note: ${note}`));
  return `${lines.join('\n')}\n`;
}
