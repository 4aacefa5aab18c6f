import type { RunResult } from '../report/run-result.js';
import { html, type Part } from './html/markup.js';
import { page } from './html/parts.js';
import { apiserverSection } from './html/sections/apiserver.js';
import { comparisonSection } from './html/sections/comparison.js';
import { distributionSection, latencySection, rateSection } from './html/sections/latency.js';
import { lifecycleSection } from './html/sections/lifecycle.js';
import { methodsSection } from './html/sections/methods.js';
import { gatesSection, objectsSection, runFacts, verdict } from './html/sections/run.js';
import { signalsSection } from './html/sections/signals.js';
import { stressSection } from './html/sections/stress.js';
import { tuneSection } from './html/sections/tune.js';
import { webhookSection } from './html/sections/webhook.js';
import { lifecycleRows } from './lifecycle-rows.js';

/**
 * `report.html`: one self-contained file (inline CSS, inline SVG drawn here, no script, no network)
 * from one RunResult. Pure: it lays out what was measured (scales, bins, ticks) and computes nothing
 * else. Every string from the data goes through the `html` tag, which escapes by default.
 */

export interface HtmlReportOptions {
  /** a previous run to compare against (before/after) */
  baseline?: RunResult;
  /** the page title; default "vitictl run ‹id› · ‹scenario›" */
  title?: string;
}

/** The HTML report of one run. Pure: RunResult in, a self-contained HTML document out. */
export function renderHtmlReport(result: RunResult, options: HtmlReportOptions = {}): string {
  const title = options.title ?? `vitictl run ${result.runId} · ${result.scenario.name}`;
  const apply = result.apply;
  const lifecycle = lifecycleRows(result);
  const body: Part[] = [
    html`<header><h1>${title}</h1><div class="dim">${result.profile ? `profile ${result.profile.name} · ` : ''}${result.target.server} · ${result.startedAt}</div></header>`,
    verdict(result),
    runFacts(result),
    result.gates && result.gates.length > 0 ? gatesSection(result.gates) : '',
    options.baseline ? comparisonSection(result, options.baseline) : '',
    apply && apply.sets.length > 0 ? objectsSection(apply) : '',
    distributionSection(result, options.baseline),
    apply ? latencySection(apply, true) : '',
    apply ? rateSection(apply) : '',
    lifecycle.length > 0 ? lifecycleSection(lifecycle) : '',
    result.observe && result.observe.targets.length > 0 ? signalsSection(result.observe) : '',
    result.apiserver ? apiserverSection(result.apiserver) : '',
    result.webhook ? webhookSection(result.webhook) : '',
    result.stress ? stressSection(result.stress) : '',
    result.tune ? tuneSection(result.tune) : '',
    methodsSection(result),
  ];
  return page(title, body);
}
