import { Html, html } from './markup.js';

/** Line, bar and point charts as inline SVG: axes (linear and log), ticks, legends. Pure layout. */

/** tick labels: short, no trailing zeros */
export const tickNum = (v: number) => String(+v.toPrecision(4));

export interface Tick {
  value: number;
  label: string;
}
export interface Axis {
  min: number;
  max: number;
  log?: boolean;
  ticks: Tick[];
  title: string;
}
export type Point = readonly [number, number];
export type Layer =
  | {
      kind: 'line';
      points: readonly Point[];
      color: string;
      dashed?: boolean;
      right?: boolean;
      dots?: boolean;
    }
  | { kind: 'bars'; bars: ReadonlyArray<{ x0: number; x1: number; y: number; color: string; title: string }> }
  | { kind: 'points'; points: ReadonlyArray<{ x: number; y: number; color: string; title: string }> }
  | { kind: 'vline'; x: number; color: string; label: string }
  | { kind: 'hline'; y: number; color: string; label: string };
export interface LegendItem {
  label: string;
  color: string;
  dashed?: boolean;
}

const W = 800;
const H = 300;
const M = { left: 64, right: 56, top: 24, bottom: 46 };
export const COLORS = {
  blue: '#2563eb',
  green: '#16a34a',
  red: '#dc2626',
  amber: '#d97706',
  grey: '#6b7280',
  purple: '#7c3aed',
  teal: '#0d9488',
};
const c1 = (v: number) => (Number.isFinite(v) ? +v.toFixed(1) : 0);

function scaler(axis: Axis, from: number, to: number): (v: number) => number {
  if (axis.log) {
    const lo = Math.log10(axis.min);
    const span = Math.log10(axis.max) - lo || 1;
    return (v) => from + ((Math.log10(Math.max(v, axis.min)) - lo) / span) * (to - from);
  }
  const span = axis.max - axis.min || 1;
  return (v) => from + ((v - axis.min) / span) * (to - from);
}

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** A linear axis from 0 (or min) to a nice maximum, with ~5 ticks. */
export function linearAxis(min: number, max: number, title: string, label = tickNum): Axis {
  const hi = max > min ? max : min + 1;
  const step = niceStep(hi - min, 5);
  const top = Math.ceil(hi / step) * step;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(min / step) * step; v <= top + step / 2; v += step) {
    ticks.push({ value: +v.toPrecision(12), label: label(+v.toPrecision(12)) });
  }
  return { min, max: top, ticks, title };
}

/** A log axis from the 1-2-5 tick at or below min to the one at or above max (decades only when wide). */
export function logAxis(min: number, max: number, title: string, label = tickNum): Axis {
  const lo = min > 0 ? min : 1e-3;
  const hi = max > lo ? max : lo * 10;
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = decades > 4 ? [1] : decades > 2 ? [1, 3] : [1, 2, 5];
  const candidates: number[] = [];
  for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) {
    for (const s of steps) candidates.push(+(s * 10 ** p).toPrecision(6));
  }
  const first = candidates.filter((v) => v <= lo).pop() ?? lo;
  const last = candidates.find((v) => v >= hi) ?? hi;
  const ticks = candidates.filter((v) => v >= first && v <= last).map((v) => ({ value: v, label: label(v) }));
  return { min: first, max: last, log: true, ticks, title };
}

export function plot(spec: {
  label: string;
  x: Axis;
  y: Axis;
  y2?: Axis;
  layers: Layer[];
  legend: LegendItem[];
}) {
  const x = scaler(spec.x, M.left, W - M.right);
  const y = scaler(spec.y, H - M.bottom, M.top);
  const y2 = spec.y2 ? scaler(spec.y2, H - M.bottom, M.top) : y;
  const parts: Html[] = [];
  for (const t of spec.y.ticks) {
    const py = c1(y(t.value));
    parts.push(
      html`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}"/><text class="tick" x="${M.left - 6}" y="${py + 4}" text-anchor="end">${t.label}</text>`,
    );
  }
  for (const t of spec.y2?.ticks ?? []) {
    const py = c1(y2(t.value));
    parts.push(html`<text class="tick" x="${W - M.right + 6}" y="${py + 4}">${t.label}</text>`);
  }
  for (const t of spec.x.ticks) {
    const px = c1(x(t.value));
    parts.push(
      html`<line class="axis" x1="${px}" x2="${px}" y1="${H - M.bottom}" y2="${H - M.bottom + 5}"/><text class="tick" x="${px}" y="${H - M.bottom + 18}" text-anchor="middle">${t.label}</text>`,
    );
  }
  let vlines = 0;
  for (const layer of spec.layers) {
    if (layer.kind === 'bars') {
      for (const b of layer.bars) {
        const top = c1(y(b.y));
        const left = c1(x(b.x0));
        parts.push(
          html`<rect x="${left}" y="${top}" width="${c1(Math.max(1, x(b.x1) - x(b.x0) - 1))}" height="${c1(H - M.bottom - top)}" fill="${b.color}" fill-opacity="0.55"><title>${b.title}</title></rect>`,
        );
      }
    } else if (layer.kind === 'line') {
      const ys = layer.right ? y2 : y;
      const d = layer.points
        .map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${c1(x(px))},${c1(ys(py))}`)
        .join('');
      if (d !== '') {
        parts.push(
          html`<path d="${d}" fill="none" stroke="${layer.color}" stroke-width="2"${new Html(layer.dashed ? ' stroke-dasharray="6 4"' : '')}/>`,
        );
      }
      if (layer.dots) {
        for (const [px, py] of layer.points) {
          parts.push(html`<circle cx="${c1(x(px))}" cy="${c1(ys(py))}" r="2.5" fill="${layer.color}"/>`);
        }
      }
    } else if (layer.kind === 'points') {
      for (const p of layer.points) {
        parts.push(
          html`<circle cx="${c1(x(p.x))}" cy="${c1(y(p.y))}" r="5" fill="${p.color}"><title>${p.title}</title></circle>`,
        );
      }
    } else if (layer.kind === 'vline') {
      const px = c1(x(layer.x));
      // labels near the right edge go left of their line
      const left = px > W - M.right - 110;
      parts.push(
        html`<line x1="${px}" x2="${px}" y1="${M.top}" y2="${H - M.bottom}" stroke="${layer.color}" stroke-dasharray="3 3"/><text class="mark" x="${left ? px - 4 : px + 4}" y="${M.top + 10 + 13 * vlines++}" text-anchor="${left ? 'end' : 'start'}" style="fill:${layer.color}">${layer.label}</text>`,
      );
    } else {
      const py = c1(y(layer.y));
      parts.push(
        html`<line x1="${M.left}" x2="${W - M.right}" y1="${py}" y2="${py}" stroke="${layer.color}" stroke-dasharray="6 4"/><text class="mark" x="${W - M.right - 4}" y="${py - 5}" text-anchor="end" style="fill:${layer.color}">${layer.label}</text>`,
      );
    }
  }
  const legend = spec.legend.map(
    (item) =>
      html`<span><i class="sw${item.dashed ? ' dashed' : ''}" style="border-color:${item.color};background:${item.dashed ? 'none' : item.color}"></i>${item.label}</span>`,
  );
  const midY = (M.top + H - M.bottom) / 2;
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${spec.label}">
<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/>
<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>
${parts}
<text class="title" x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${spec.x.title}</text>
<text class="title" transform="translate(14 ${midY}) rotate(-90)" text-anchor="middle">${spec.y.title}</text>
${spec.y2 ? html`<text class="title" transform="translate(${W - 8} ${midY}) rotate(90)" text-anchor="middle">${spec.y2.title}</text>` : ''}
</svg><figcaption class="legend">${legend}</figcaption></figure>`;
}

/** CDF points (ms, %) thinned to one per pixel column of a log axis */
export function cdf(values: Array<readonly [number, number]>, axis: Axis): Point[] {
  const total = values.reduce((sum, [, n]) => sum + n, 0);
  const x = scaler(axis, 0, W);
  const points: Point[] = [];
  let seen = 0;
  let column = Number.NEGATIVE_INFINITY;
  for (const [value, n] of values) {
    seen += n;
    const point = [value, (100 * seen) / total] as const;
    const px = Math.round(x(value));
    if (px === column) points[points.length - 1] = point;
    else points.push(point);
    column = px;
  }
  return points;
}
