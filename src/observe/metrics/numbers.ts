/**
 * Numbers of the exposition formats. Values: OpenMetrics' `number` (a real number, or case-insensitive
 * [sign] inf / infinity and nan), which is also what Go's ParseFloat reads for text 0.0.4 once hex
 * floats and underscores are excluded (as expfmt excludes them). Timestamps stay text: exact
 * comparison of decimals keeps timestamps that differ below a millisecond apart.
 */

const REAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;
const INT64_MAX = '9223372036854775807';

/** A value as a float64, or undefined when the text is not a number or overflows float64. */
export function parseNumber(text: string): number | undefined {
  const first = text.charCodeAt(0);
  // letters: only inf, infinity, nan (case-insensitive); the regex is only for the common digits
  if ((first | 0x20) === 0x69 || (first | 0x20) === 0x6e || !REAL.test(text)) return special(text);
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function special(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  const unsigned = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (unsigned !== 'inf' && unsigned !== 'infinity') return undefined;
  return lower[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
}

/** An OpenMetrics timestamp (or exemplar timestamp): a finite real number in float64 range. */
export function isRealTimestamp(text: string): boolean {
  return REAL.test(text) && Number.isFinite(Number(text));
}

/** A text 0.0.4 timestamp: an int64 of milliseconds (Go's ParseInt, base 10). */
export function isInt64Timestamp(text: string): boolean {
  if (!INTEGER.test(text)) return false;
  const negative = text[0] === '-';
  const digits = text.replace(/^[+-]?0*/, '');
  const limit = negative ? '9223372036854775808' : INT64_MAX;
  return digits.length < limit.length || (digits.length === limit.length && digits <= limit);
}

interface Decimal {
  negative: boolean;
  /** significant digits, no leading or trailing zeros ('' for zero) */
  digits: string;
  /** the power of ten of the first significant digit */
  exponent: number;
}

function decimal(text: string): Decimal {
  const negative = text[0] === '-';
  const unsigned = text[0] === '+' || text[0] === '-' ? text.slice(1) : text;
  const e = unsigned.search(/[eE]/);
  const mantissa = e === -1 ? unsigned : unsigned.slice(0, e);
  const power = e === -1 ? 0 : Number(unsigned.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const whole = dot === -1 ? mantissa : mantissa.slice(0, dot);
  const all = whole + (dot === -1 ? '' : mantissa.slice(dot + 1));
  const leading = all.search(/[1-9]/);
  if (leading === -1) return { negative: false, digits: '', exponent: 0 };
  return {
    negative,
    digits: all.slice(leading).replace(/0+$/, ''),
    exponent: whole.length - leading - 1 + power,
  };
}

/** Compares two real numbers written in decimal exactly: negative, 0 or positive like a comparator. */
export function compareDecimals(a: string, b: string): number {
  const x = decimal(a);
  const y = decimal(b);
  const sign = (d: Decimal) => (d.digits === '' ? 0 : d.negative ? -1 : 1);
  if (sign(x) !== sign(y)) return sign(x) - sign(y);
  if (sign(x) === 0) return 0;
  const magnitude =
    x.exponent !== y.exponent
      ? x.exponent - y.exponent
      : x.digits < y.digits
        ? -1
        : x.digits > y.digits
          ? 1
          : 0;
  return x.negative ? -magnitude : magnitude;
}
