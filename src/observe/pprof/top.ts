import { inputError, usageError } from '../../errors.js';
import { compileGoRegexp, type GoRegexp } from '../../util/go-regexp.js';
import type { PprofLocation, PprofProfile, SampleTable, ValueType } from './decode.js';
import { buildGraph, nodeTable } from './graph.js';
import { scale, unitKind } from './units.js';

/**
 * `go tool pprof -top`, step for step (google/pprof driver → report.printText): pick the sample
 * index, total = Σ|value| before focus (of the base alone with a diff base), focus, aggregate to
 * functions, drop nodes with |cum| < 0.5% of the flat sum, keep the top N, trim edges < 0.1%.
 */

export interface TopOptions {
  /** a sample type name, an index, or undefined for the profile's default (else the last type) */
  sampleIndex?: string | undefined;
  /** sort by cum instead of flat */
  cum?: boolean | undefined;
  /** at most this many rows; 0 or undefined: every node above the cutoff (go tool pprof -top) */
  nodeCount?: number | undefined;
  /** default 0.005, like pprof -nodefraction */
  nodeFraction?: number | undefined;
  /** default 0.001, like pprof -edgefraction */
  edgeFraction?: number | undefined;
  /** keep samples with any frame whose function, file or binary matches (Go RE2 syntax, unanchored) */
  focus?: string | undefined;
  /** subtract this profile (pprof -diff_base): percentages are of the base's total */
  base?: PprofProfile | undefined;
}

export interface TopRow {
  name: string;
  /** "(inline)" when every call into it was inlined, "(partial-inline)" when some were */
  inline: '' | 'inline' | 'partial-inline';
  flat: number;
  cum: number;
  /** |flat| / total · 100; sum = running flat sum */
  flatPercent: number;
  sumPercent: number;
  cumPercent: number;
}

export interface TopReport {
  sampleType: ValueType;
  sampleIndex: number;
  /** the unit values print in (pprof picks one per report, e.g. ms) */
  outputUnit: string;
  /** Σ|value| of the sample index over all samples (of the base with a diff base) */
  total: number;
  /** Σ flat of the rows shown */
  shownTotal: number;
  /** nodes under the cutoff, and the cutoff as pprof prints it (total · node fraction) */
  droppedNodes: number;
  dropCutoff: number;
  /** nodes above the cutoff, before --nodes */
  nodesAboveCutoff: number;
  rows: TopRow[];
  filters: string[];
  diff: boolean;
  /** for the header lines */
  profile: {
    file: string;
    buildId: string;
    comments: string[];
    docUrl: string;
    timeNanos: string;
    durationNanos: number;
  };
  /** things pprof would do that this report does not (empty for Go runtime profiles) */
  notes: string[];
}

// Go's math.Round: half away from zero
const goRound = (x: number) => Math.sign(x) * Math.round(Math.abs(x));
const abs = Math.abs;

/** Profile.SampleIndexByName */
export function sampleIndexByName(profile: PprofProfile, name: string | undefined): number {
  const types = profile.sampleTypes.map((t) => t.type);
  if (types.length === 0)
    throw inputError('the profile has no sample types: nothing to rank', {
      hint: 'capture one with vitictl pprof capture (a Go profile always has them)',
    });
  if (name === undefined || name === '') {
    const index = profile.defaultSampleType === '' ? -1 : types.indexOf(profile.defaultSampleType);
    return index >= 0 ? index : types.length - 1;
  }
  if (/^[-+]?\d+$/.test(name)) {
    const index = Number(name);
    if (index < 0 || index >= types.length)
      throw usageError(`--sample-index ${name} is outside the range [0..${types.length - 1}]`);
    return index;
  }
  const noInuse = name.startsWith('inuse_') ? name.slice('inuse_'.length) : name;
  const index = types.findIndex((t) => t === name || t === noInuse);
  if (index < 0)
    throw usageError(`--sample-index "${name}" is not in this profile`, `use one of: ${types.join(', ')}`);
  return index;
}

interface Combined {
  profile: PprofProfile;
  /** samples from this index on are the base's (negated); they alone make the total */
  baseFrom: number;
}

/** measurement.compatibleValueTypes */
function compatibleTypes(a: ValueType, b: ValueType): boolean {
  if (a.type.replace(/s$/, '') !== b.type.replace(/s$/, '')) return false;
  if (a.unit === b.unit) return true;
  const kind = unitKind(a.unit);
  return kind !== undefined && kind === unitKind(b.unit);
}

/** fetchProfiles with -diff_base: CompatibilizeSampleTypes, ScaleProfiles, Scale(-1), Merge. */
function combineWithBase(profile: PprofProfile, base: PprofProfile): Combined {
  const common = profile.sampleTypes
    .map((t) => t.type)
    .filter((type) => base.sampleTypes.some((t) => t.type === type));
  if (common.length === 0) {
    throw inputError('the base profile has no sample type in common with the profile', {
      hint: `profile: ${profile.sampleTypes.map((t) => t.type).join(', ')}; base: ${base.sampleTypes.map((t) => t.type).join(', ')}`,
    });
  }
  const reorder = (p: PprofProfile) => {
    const map = common.map((type) => p.sampleTypes.findIndex((t) => t.type === type));
    const unchanged = map.length === p.sampleTypes.length && map.every((i, k) => i === k);
    return {
      map,
      types: map.map((i) => ({ ...p.sampleTypes[i]! })),
      defaultType: unchanged || common.includes(p.defaultSampleType) ? p.defaultSampleType : common[0]!,
    };
  };
  const a = reorder(profile);
  const b = reorder(base);
  // ScaleProfiles: both to the finer unit of each sample type
  const ratiosA: number[] = [];
  const ratiosB: number[] = [];
  common.forEach((_, i) => {
    const ta = a.types[i]!;
    const tb = b.types[i]!;
    if (!compatibleTypes(ta, tb))
      throw inputError(`incompatible sample types: ${ta.type}/${ta.unit} and ${tb.type}/${tb.unit}`);
    const finer = scale(1, tb.unit, ta.unit)[0] < 1 ? tb : ta;
    ratiosA.push(scale(1, ta.unit, finer.unit)[0]);
    ratiosB.push(scale(1, tb.unit, finer.unit)[0]);
    ta.unit = finer.unit;
    tb.unit = finer.unit;
  });
  const pa = profile.periodType;
  const pb = base.periodType;
  if ((pa === undefined) !== (pb === undefined) || (pa && pb && pa.type !== pb.type)) {
    throw inputError(
      `incompatible period types: ${pa ? `${pa.type}/${pa.unit}` : 'none'} and ${pb ? `${pb.type}/${pb.unit}` : 'none'}`,
    );
  }
  // one sample table: the profile's samples, then the base's, its frames shifted past our locations
  const A = profile.samples;
  const B = base.samples;
  const types = common.length;
  const count = A.count + B.count;
  const start = new Uint32Array(count + 1);
  start.set(A.start.subarray(0, A.count));
  for (let i = 0; i <= B.count; i++) start[A.count + i] = A.frames.length + B.start[i]!;
  const frames = new Uint32Array(A.frames.length + B.frames.length);
  frames.set(A.frames);
  const shift = profile.locations.length;
  for (let i = 0; i < B.frames.length; i++) frames[A.frames.length + i] = B.frames[i]! + shift;
  const values = new Float64Array(count * types);
  const fill = (
    from: SampleTable,
    width: number,
    offset: number,
    map: number[],
    ratios: number[],
    sign: number,
  ) => {
    for (let s = 0; s < from.count; s++) {
      for (let t = 0; t < types; t++) {
        const v = from.values[s * width + map[t]!]!;
        const r = ratios[t]! * sign;
        values[(offset + s) * types + t] = r === 1 ? v : goRound(v * r) + 0;
      }
    }
  };
  fill(A, profile.sampleTypes.length, 0, a.map, ratiosA, 1);
  fill(B, base.sampleTypes.length, A.count, b.map, ratiosB, -1);
  const labels = new Map(A.labels);
  for (const [s, record] of B.labels) labels.set(A.count + s, record);
  const first = profile.mappings.length > 0 ? profile : base;
  // combineHeaders: the earliest time (a zero after the first profile wins too, as in pprof)
  let timeNanos = 0n;
  for (const t of [profile.timeNanos, base.timeNanos]) if (timeNanos === 0n || t < timeNanos) timeNanos = t;
  return {
    profile: {
      ...profile,
      sampleTypes: a.types,
      defaultSampleType: a.defaultType || b.defaultType,
      samples: { count, start, frames, values, labels },
      locations: [...profile.locations, ...base.locations],
      mappings: first.mappings,
      timeNanos,
      durationNanos: profile.durationNanos + base.durationNanos,
      comments: [...new Set([...profile.comments, ...base.comments])],
      docUrl: profile.docUrl || base.docUrl,
    },
    baseFrom: A.count,
  };
}

/** --focus is a Go regexp, as pprof reads it. */
function focusRegexp(source: string): GoRegexp {
  try {
    return compileGoRegexp(source);
  } catch (error) {
    throw usageError(`--focus: invalid regular expression: ${(error as Error).message}`);
  }
}

/** Location.matchesName: any line's function name or file name, or the mapping's file. */
function locationMatches(location: PprofLocation, re: GoRegexp): boolean {
  for (const line of location.lines) {
    if (line.fn && (re.test(line.fn.name) || re.test(line.fn.filename))) return true;
  }
  return location.mapping !== undefined && re.test(location.mapping.file);
}

export function topReport(input: PprofProfile, options: TopOptions = {}): TopReport {
  const notes: string[] = [];
  const combined: Combined = options.base
    ? combineWithBase(input, options.base)
    : { profile: input, baseFrom: input.samples.count };
  const profile = combined.profile;
  if (profile.dropFrames !== '')
    notes.push(`the profile's drop_frames (${profile.dropFrames}) was not applied`);
  const index = sampleIndexByName(profile, options.sampleIndex);
  const sampleType = profile.sampleTypes[index]!;
  const { samples } = profile;
  const types = profile.sampleTypes.length;
  const value = new Float64Array(samples.count);
  for (let s = 0; s < samples.count; s++) value[s] = samples.values[s * types + index]!;

  // report.New → computeTotal, before focus
  let total = 0;
  let baseTotal = 0;
  for (let s = 0; s < samples.count; s++) {
    const v = abs(value[s]!);
    total += v;
    if (s >= combined.baseFrom) baseTotal += v;
  }
  if (baseTotal > 0) total = baseTotal;

  const filters: string[] = [];
  let include: Uint8Array | undefined;
  if (options.focus !== undefined && options.focus !== '') {
    const re = focusRegexp(options.focus);
    const focused = Uint8Array.from(profile.locations, (location) => (locationMatches(location, re) ? 1 : 0));
    include = new Uint8Array(samples.count);
    for (let s = 0; s < samples.count; s++) {
      for (let i = samples.start[s]!; i < samples.start[s + 1]!; i++) {
        if (focused[samples.frames[i]!] === 1) {
          include[s] = 1;
          break;
        }
      }
    }
    filters.push(`focus=${options.focus}`);
  }
  const graphInput = { samples, value, include };

  const table = nodeTable(profile.locations);
  const count = table.names.length;
  const first = buildGraph(graphInput, table, undefined, false);
  const present: number[] = [];
  let flatSum = 0;
  for (let n = 0; n < count; n++) {
    if (first.flat[n] === 0 && first.cum[n] === 0) continue;
    present.push(n);
    flatSum += first.flat[n]!;
  }
  const nodeFraction = options.nodeFraction ?? 0.005;
  const edgeFraction = options.edgeFraction ?? 0.001;
  const nodeCutoff = abs(Math.trunc(flatSum * nodeFraction));
  const edgeCutoff = abs(Math.trunc(flatSum * edgeFraction));
  let nodes = nodeCutoff > 0 ? present.filter((n) => abs(first.cum[n]!) >= nodeCutoff) : present;
  const droppedNodes = present.length - nodes.length;
  const nodesAboveCutoff = nodes.length;
  const { flat, cum } = first; // a kept node's flat and cum are the same in every rebuilt graph
  const byName = (l: number, r: number) => {
    const a = table.names[l]!;
    const b = table.names[r]!;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const order = options.cum
    ? (l: number, r: number) =>
        abs(cum[r]!) - abs(cum[l]!) || byName(l, r) || abs(flat[r]!) - abs(flat[l]!) || l - r
    : (l: number, r: number) =>
        abs(flat[r]!) - abs(flat[l]!) || byName(l, r) || abs(cum[r]!) - abs(cum[l]!) || l - r;
  nodes.sort(order);
  if (options.nodeCount !== undefined && options.nodeCount > 0 && options.nodeCount < nodes.length) {
    nodes = nodes.slice(0, options.nodeCount);
  }
  // the edges of the final graph, for the (inline) marks
  const kept = new Uint8Array(count);
  for (const n of nodes) kept[n] = 1;
  const final = buildGraph(graphInput, table, kept, true);

  const rows: TopRow[] = [];
  let running = 0;
  let shownTotal = 0;
  const pct = (v: number) => (total !== 0 ? abs(v / total) * 100 : 0);
  for (const n of nodes) {
    let inline = false;
    let notInline = false;
    for (const edge of final.incoming[n]?.values() ?? []) {
      if (abs(edge.weight) < edgeCutoff) continue;
      if (edge.inline) inline = true;
      else notInline = true;
    }
    running += flat[n]!;
    shownTotal += flat[n]!;
    rows.push({
      name: table.names[n]!,
      inline: inline ? (notInline ? 'partial-inline' : 'inline') : '',
      flat: flat[n]!,
      cum: cum[n]!,
      flatPercent: pct(flat[n]!),
      sumPercent: pct(running),
      cumPercent: pct(cum[n]!),
    });
  }
  const mapping = profile.mappings[0];
  return {
    sampleType,
    sampleIndex: index,
    outputUnit: outputUnit(rows, total, sampleType.unit),
    total,
    shownTotal,
    droppedNodes,
    dropCutoff: abs(Math.trunc(total * nodeFraction)),
    nodesAboveCutoff,
    rows,
    filters,
    diff: options.base !== undefined,
    profile: {
      file: mapping?.file ?? '',
      buildId: mapping?.buildId ?? '',
      comments: profile.comments,
      docUrl: profile.docUrl,
      timeNanos: profile.timeNanos.toString(),
      durationNanos: profile.durationNanos,
    },
    notes,
  };
}

/** Report.selectOutputUnit: the unit of the smallest value, unless it is under 1% of the total. */
function outputUnit(rows: TopRow[], total: number, sampleUnit: string): string {
  if (rows.length === 0) return 'minimum';
  let min = 0;
  for (const row of rows) {
    let value = abs(row.flat);
    if (value === 0) value = abs(row.cum);
    if (value > 0 && (min === 0 || value < min)) min = value;
  }
  const max = total;
  if (min === 0) min = max;
  const [, minUnit] = scale(min, sampleUnit, 'minimum');
  const [, maxUnit] = scale(max, sampleUnit, 'minimum');
  let unit = minUnit;
  if (minUnit !== maxUnit && min * 100 < max) unit = scale(100 * min, sampleUnit, 'minimum')[1];
  return unit !== '' ? unit : sampleUnit;
}
