import { Html, html, type Part } from './markup.js';
import { CSS } from './style.js';

/** The report's building blocks: sections, tables, fact lists, badges, notes. */

export const section = (id: string, title: string, body: Part) =>
  html`<section id="${id}"><h2>${title}</h2>${body}</section>`;

export function table(head: Part[], rows: Part[][], className = ''): Html {
  return html`<div class="scroll"><table class="${className}"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((cell) => html`<td>${cell}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

export const facts = (items: Array<[string, Part]>) =>
  html`<dl class="facts">${items.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
export const badge = (passed: boolean, yes = 'pass', no = 'fail') =>
  html`<span class="badge ${passed ? 'ok' : 'bad'}">${passed ? yes : no}</span>`;
export const note = (text: Part) => html`<p class="note">${text}</p>`;

/** A whole page: one self-contained file, its CSS inline. */
export function page(title: Part, body: Part): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title><style>${new Html(CSS)}</style></head>
<body><main>${body}</main></body></html>
`.text;
}
