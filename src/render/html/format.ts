import { formatMs } from '../../util/duration.js';

/** Number formats of the HTML report: a dash for what was not measured. */
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const DASH = '–';
export const ms = (v: number | null | undefined) => (isNum(v) ? formatMs(v) : DASH);
export const secs = (v: number | null | undefined) => (isNum(v) ? ms(v * 1000) : DASH);
export const num = (v: number | null | undefined, digits = 2) =>
  !isNum(v) ? DASH : Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toFixed(digits));
export const perSec = (v: number | null | undefined) => (isNum(v) ? `${num(v, 1)}/s` : DASH);
export const pct = (share: number | null | undefined) =>
  isNum(share) ? `${(share * 100).toFixed(1)}%` : DASH;
export const count = (v: number) => v.toLocaleString('en-US');
export function bytes(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v >= 2 ** 62) return 'unlimited'; // GOMEMLIMIT's default is math.MaxInt64
  if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(2)} GiB`;
  return `${(v / 2 ** 20).toFixed(1)} MiB`;
}
/** tick labels: short, no trailing zeros */
export const tickMs = (v: number) =>
  v >= 1000 ? `${+(v / 1000).toPrecision(3)}s` : `${+v.toPrecision(3)}ms`;
