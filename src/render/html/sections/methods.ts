import type { RunResult } from '../../../report/run-result.js';
import { type Html, html } from '../markup.js';

export function methodsSection(result: RunResult): Html | '' {
  const methods = Object.entries(result.methods);
  if (result.webhook) methods.push(['webhook.latency', result.webhook.latencyMethod]);
  if (methods.length === 0) return '';
  return html`<section id="methods"><details><summary>How each figure was measured</summary><dl class="methods">${methods.map(
    ([key, text]) => html`<dt><code>${key}</code></dt><dd>${text}</dd>`,
  )}</dl></details></section>`;
}
