/**
 * google/pprof's internal/measurement, and the bits of Go's fmt it prints through, so `pprof top`
 * prints the same strings as `go tool pprof -top`. JavaScript's toFixed rounds exact ties up
 * (0.125 → "0.13"); Go rounds them to even ("0.12"), so numbers go through an exact decimal expansion.
 */

interface Unit {
  name: string;
  aliases: string[];
  factor: number;
}
interface UnitType {
  units: Unit[];
  defaultUnit: Unit;
}

const BYTES: UnitType = {
  units: [
    { name: 'B', aliases: ['b', 'byte'], factor: 1 },
    { name: 'kB', aliases: ['kb', 'kbyte', 'kilobyte'], factor: 2 ** 10 },
    { name: 'MB', aliases: ['mb', 'mbyte', 'megabyte'], factor: 2 ** 20 },
    { name: 'GB', aliases: ['gb', 'gbyte', 'gigabyte'], factor: 2 ** 30 },
    { name: 'TB', aliases: ['tb', 'tbyte', 'terabyte'], factor: 2 ** 40 },
    { name: 'PB', aliases: ['pb', 'pbyte', 'petabyte'], factor: 2 ** 50 },
  ],
  defaultUnit: { name: 'B', aliases: ['b', 'byte'], factor: 1 },
};
const TIME: UnitType = {
  units: [
    { name: 'ns', aliases: ['ns', 'nanosecond'], factor: 1 },
    { name: 'us', aliases: ['μs', 'us', 'microsecond'], factor: 1e3 },
    { name: 'ms', aliases: ['ms', 'millisecond'], factor: 1e6 },
    { name: 's', aliases: ['s', 'sec', 'second'], factor: 1e9 },
    { name: 'hrs', aliases: ['hour', 'hr'], factor: 3.6e12 },
  ],
  defaultUnit: { name: 's', aliases: [], factor: 1e9 },
};
const GCU: UnitType = {
  units: [
    { name: 'n*GCU', aliases: ['nanogcu'], factor: 1e-9 },
    { name: 'u*GCU', aliases: ['microgcu'], factor: 1e-6 },
    { name: 'm*GCU', aliases: ['milligcu'], factor: 1e-3 },
    { name: 'GCU', aliases: ['gcu'], factor: 1 },
    { name: 'k*GCU', aliases: ['kilogcu'], factor: 1e3 },
    { name: 'M*GCU', aliases: ['megagcu'], factor: 1e6 },
    { name: 'G*GCU', aliases: ['gigagcu'], factor: 1e9 },
    { name: 'T*GCU', aliases: ['teragcu'], factor: 1e12 },
    { name: 'P*GCU', aliases: ['petagcu'], factor: 1e15 },
  ],
  defaultUnit: { name: 'GCU', aliases: [], factor: 1 },
};
const UNIT_TYPES = [BYTES, TIME, GCU];

function sniffUnit(type: UnitType, unit: string): Unit | undefined {
  let alias = unit.toLowerCase();
  if (alias.length > 2 && alias.endsWith('s')) alias = alias.slice(0, -1);
  return type.units.find((u) => u.aliases.includes(alias));
}

function convertUnit(
  type: UnitType,
  value: number,
  from: string,
  to: string,
): [value: number, unit: string] | undefined {
  const fromUnit = sniffUnit(type, from);
  if (!fromUnit) return undefined;
  const v = value * fromUnit.factor;
  if (to === 'minimum' || to === 'auto') {
    let factor = 0;
    let name = '';
    for (const u of type.units) {
      if (u.factor >= factor && v / u.factor >= 1) {
        factor = u.factor;
        name = u.name;
      }
    }
    if (factor !== 0) return [v / factor, name];
    return [v / type.defaultUnit.factor, type.defaultUnit.name];
  }
  const toUnit = sniffUnit(type, to);
  if (!toUnit) return [v / type.defaultUnit.factor, type.defaultUnit.name];
  return [v / toUnit.factor, toUnit.name];
}

/** Which of pprof's unit families a unit belongs to (bytes, time, GCU), if any. */
export function unitKind(unit: string): number | undefined {
  const index = UNIT_TYPES.findIndex((type) => sniffUnit(type, unit) !== undefined);
  return index < 0 ? undefined : index;
}

/** measurement.Scale: the value in `to` units ("minimum"/"auto": the largest unit it is ≥ 1 of). */
export function scale(value: number, from: string, to: string): [value: number, unit: string] {
  if (value < 0) {
    const [v, u] = scale(-value, from, to);
    return [-v, u];
  }
  for (const type of UNIT_TYPES) {
    const converted = convertUnit(type, value, from, to);
    if (converted) return converted;
  }
  if (to === 'count' || to === 'sample' || to === 'unit' || to === 'minimum' || to === 'auto') {
    return [value, ''];
  }
  return [value, to];
}

/** measurement.ScaledLabel: "10ms", "1.50s", "512.01kB", "0". */
export function scaledLabel(value: number, from: string, to: string): string {
  const [v, u] = scale(value, from, to);
  let text = goFixed(v, 2);
  if (text.endsWith('.00')) text = text.slice(0, -3);
  if (text === '0' || text === '-0') return '0';
  return text + u;
}

/** measurement.Percentage: "  100%", "41.67%", " 0.83%", "0.0042%" (always ≥ 5 characters + %). */
export function percentage(value: number, total: number): string {
  const ratio = total !== 0 ? Math.abs(value / total) * 100 : 0;
  if (ratio >= 99.95 && ratio <= 100.05) return '  100%';
  const text = ratio >= 1 ? goFixed(ratio, 2) : goG(ratio, 2);
  return `${text.padStart(5)}%`;
}

// --- Go's fmt for float64: %.Nf and %.Ng, rounding exact ties to even -------------------------

interface Decimal {
  /** significant digits without leading or trailing zeros ("" for zero) */
  digits: string;
  /** the decimal point sits after `dp` digits (may be negative or past the end) */
  dp: number;
}

const view = new DataView(new ArrayBuffer(8));

/** The exact decimal value of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '', dp: 0 };
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  let text: string;
  let dp: number;
  if (exponent >= 0) {
    text = (mantissa << BigInt(exponent)).toString();
    dp = text.length;
  } else {
    // m·2^e = m·5^-e / 10^-e
    text = (mantissa * 5n ** BigInt(-exponent)).toString();
    dp = text.length + exponent;
  }
  const leading = text.length - text.replace(/^0+/, '').length;
  text = text.slice(leading).replace(/0+$/, '');
  return { digits: text, dp: dp - leading };
}

/** Round to `nd` significant digits the way strconv does: ties to even. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0) return { digits: '', dp: 0 };
  if (nd >= d.digits.length) return d;
  const next = d.digits.charCodeAt(nd) - 48;
  let up: boolean;
  if (next === 5 && nd + 1 === d.digits.length) {
    up = nd > 0 && (d.digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else up = next >= 5;
  if (!up) {
    const digits = d.digits.slice(0, nd).replace(/0+$/, '');
    return digits === '' ? { digits: '', dp: 0 } : { digits, dp: d.dp };
  }
  // add one at position nd-1, carrying
  const chars = d.digits.slice(0, nd).split('');
  let i = nd - 1;
  while (i >= 0 && chars[i] === '9') {
    chars[i] = '0';
    i--;
  }
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) + 1);
  return { digits: chars.join('').replace(/0+$/, ''), dp: d.dp };
}

function fixedFromDecimal(d: Decimal, decimals: number): string {
  let int = '';
  if (d.dp > 0) {
    for (let i = 0; i < d.dp; i++) int += d.digits[i] ?? '0';
  } else int = '0';
  if (decimals === 0) return int;
  let frac = '';
  for (let i = 0; i < decimals; i++) {
    const index = d.dp + i;
    frac += index >= 0 ? (d.digits[index] ?? '0') : '0';
  }
  return `${int}.${frac}`;
}

/** fmt.Sprintf("%.Nf", x) */
export function goFixed(x: number, decimals: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const negative = x < 0 || Object.is(x, -0);
  const d = exactDecimal(Math.abs(x));
  const rounded = roundDecimal(d, d.dp + decimals);
  const text = fixedFromDecimal(rounded, decimals);
  return negative ? `-${text}` : text;
}

/** fmt.Sprintf("%.Ng", x) for finite x */
export function goG(x: number, precision: number): string {
  const negative = x < 0 || Object.is(x, -0);
  const sign = negative ? '-' : '';
  const d = roundDecimal(exactDecimal(Math.abs(x)), precision);
  let eprec = precision;
  if (eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
  const exp = d.dp - 1;
  if (d.digits.length > 0 && (exp < -4 || exp >= eprec)) {
    const mantissa = d.digits.length > 1 ? `${d.digits[0]}.${d.digits.slice(1)}` : d.digits;
    const abs = Math.abs(exp);
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  const decimals = Math.max((precision > d.dp ? d.digits.length : precision) - d.dp, 0);
  return sign + fixedFromDecimal(d, decimals);
}
