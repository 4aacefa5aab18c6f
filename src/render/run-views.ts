import { type LatencySummary, statMs } from '../report/histogram.js';
import type { RunResult } from '../report/run-result.js';
import { cleanupIncomplete } from '../report/sections/cleanup.js';
import { formatMs } from '../util/duration.js';
import { escapeControlKeepColour } from '../util/escape-control.js';
import { apiserverLines } from './apiserver-views.js';
import type { Style } from './style.js';
import { cleanupText, pacingText, retryText } from './summary-text.js';
import { borderlessTable, trimLines } from './table.js';

const ms = formatMs;
const triple = (h: LatencySummary) => (h.count === 0 ? '-' : `${ms(h.p50)} / ${ms(h.p90)} / ${ms(h.p99)}`);

/** What the cluster completed, and plainly when it did not keep up with what was asked. */
function completedText(apply: NonNullable<RunResult['apply']>): string {
  if (apply.completedRate === null || apply.completedRate === undefined) return '';
  const behind =
    apply.requestedRate !== null && apply.completedRate < 0.9 * apply.requestedRate
      ? ` (the cluster did not keep up: ${Math.round((100 * apply.completedRate) / apply.requestedRate)}% of the requested rate)`
      : '';
  return ` · completed ${apply.completedRate}/s${behind}`;
}

/** The terminal summary of a RunResult (apply part). Pure: RunResult in, text out. */
export function renderApplySummary(result: RunResult, style: Style): string {
  const apply = result.apply;
  const lines: string[] = [];
  lines.push(
    // a run.json may come from anywhere: its text is shown, never obeyed by the terminal
    escapeControlKeepColour(
      `${style.bold('run')} ${result.runId} · scenario ${result.scenario.name} (seed ${result.scenario.seed}) · ${result.target.server} (${result.target.kubernetesVersion})`,
    ),
  );
  if (!apply) return `${lines.join('\n')}\n`;
  const load =
    apply.mode === 'open'
      ? `open loop ${apply.requestedRate}/s (burst ${apply.burst}) → sent ${apply.achievedRate}/s${completedText(apply)}`
      : `closed loop, ${apply.concurrency} in flight → ${apply.achievedRate} starts/s${completedText(apply)}`;
  lines.push(
    `load: ${load} · created ${apply.createThroughput}/s · max ${apply.maxStartsIn100ms} starts in 100 ms${apply.lateStarts > 0 ? ` · ${style.yellow(`${apply.lateStarts} late starts`)}` : ''}${apply.scheduleSlips > 0 ? ` · ${style.yellow(`schedule slipped ${apply.scheduleSlips}× (rate lost: raise --burst)`)}` : ''}`,
  );
  if (apply.pacing) {
    const { text, warning } = pacingText(apply.pacing, {
      rateFlag: '--qps',
      scrapedApiServer: result.apiserver !== undefined,
    });
    lines.push(`pacing: ${text}`);
    if (warning) lines.push(style.yellow(warning));
  }
  const table = borderlessTable(
    [
      'SET',
      'KIND',
      'OBJECTS',
      'READY',
      'FAILED',
      'TIMED OUT',
      'OTHER',
      'CREATE p50/p90/p99',
      'TIME-TO-READY p50/p90/p99',
      'SERVER CLOCK p50/p99',
    ],
    style,
  );
  for (const set of apply.sets) {
    const c = set.counts;
    const other = c.notWaited + c.interrupted + c.notStarted;
    const server = set.latency.serverTimeToReady;
    table.push([
      set.set,
      set.kind,
      String(c.total),
      set.waited ? String(c.ready) : '-',
      c.failed > 0 ? style.red(String(c.failed)) : '0',
      c.timedOut > 0 ? style.red(String(c.timedOut)) : '0',
      other > 0
        ? `${other}${c.notWaited > 0 ? ' not waited' : ''}${c.interrupted + c.notStarted > 0 ? ' interrupted' : ''}`
        : '0',
      triple(set.latency.create),
      set.waited ? triple(set.latency.timeToReady) : 'not waited',
      server.count === 0 ? '-' : `${ms(server.p50)} / ${ms(server.p99)}`,
    ]);
  }
  lines.push(trimLines(table.toString()));
  const errors = Object.entries(apply.errors);
  lines.push(
    `errors: ${errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code}×${n}`).join(', ')} · ${retryText(apply)} · ` +
      `watch: ${apply.watch.watches} watch(es), ${apply.watch.reconnects} reconnects, ${apply.watch.relists} relists, lag p50 ${ms(apply.latency.watchLag.p50)} p99 ${ms(apply.latency.watchLag.p99)}`,
  );
  const own = apply.latency.ownLag;
  const truth = apply.groundTruth;
  if (own && own.count > 0)
    lines.push(
      `vitictl's own part (event read → marked ready) p50 ${ms(statMs(own, 'p50'))} p99 ${ms(statMs(own, 'p99'))}` +
        (truth && truth.matched > 0
          ? ` · audit commit → event read p50 ${ms(truth.commitToRead.p50)} p99 ${ms(truth.commitToRead.p99)} · commit → marked ready p99 ${ms(truth.commitToMarked.p99)} (${truth.matched} matched${truth.unmatched > 0 ? `, ${truth.unmatched} not in the log` : ''})`
          : ''),
    );
  for (const gap of apply.watch.gaps) {
    lines.push(
      style.yellow(
        `watch gap: ${gap.resource} down ${gap.seconds.toFixed(1)}s from ${gap.start} (${gap.reason})`,
      ),
    );
  }
  const reasons = Object.entries(apply.failureReasons).sort((a, b) => b[1] - a[1]);
  for (const [reason, count] of reasons.slice(0, 5)) lines.push(style.red(`failed ×${count}: ${reason}`));
  if (result.apiserver) lines.push(...apiserverLines(result.apiserver, style));
  if (result.cleanup) {
    const line = cleanupText(result.cleanup);
    lines.push(cleanupIncomplete(result.cleanup) ? style.red(line) : line);
  } else {
    lines.push(`kept: objects stay; remove them with vitictl cleanup --run-id ${result.runId}`);
  }
  const c = apply.counts;
  const verdict = result.interrupted
    ? style.yellow(
        `interrupted: ${c.created} created, ${c.ready} ready, ${c.interrupted} still waiting, ${c.notStarted} not started`,
      )
    : c.failed + c.timedOut === 0 && !(result.cleanup && cleanupIncomplete(result.cleanup))
      ? style.green(
          `ok: ${c.total} objects, ${c.ready} ready${c.notWaited > 0 ? `, ${c.notWaited} not waited on` : ''}`,
        )
      : c.failed + c.timedOut === 0
        ? style.red(
            `not ok: ${c.ready} of ${c.total} ready, but objects of this run may remain (see cleanup)`,
          )
        : style.red(`${c.failed} failed and ${c.timedOut} timed out of ${c.total} objects`);
  lines.push(verdict);
  return `${lines.join('\n')}\n`;
}
