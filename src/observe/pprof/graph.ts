import { basename } from 'node:path';
import type { PprofLocation, SampleTable } from './decode.js';

/**
 * google/pprof's call graph at "functions" granularity (internal/graph newGraph after
 * Profile.Aggregate): one node per function name, inline frames expanded into their own nodes.
 */

export interface NodeTable {
  /** printable name per node id */
  names: string[];
  /** location l's nodes are nodes[locStart[l]] … nodes[locStart[l + 1] - 1], innermost first */
  locStart: Uint32Array;
  nodes: Int32Array;
  /** the node of a one-line location (most are), else -1: the hot loop skips the inner loop */
  single: Int32Array;
}

export interface GraphInput {
  samples: SampleTable;
  /** the chosen sample index's value per sample */
  value: Float64Array;
  /** samples left after focus (undefined: all) */
  include: Uint8Array | undefined;
}

export interface Graph {
  flat: Float64Array;
  cum: Float64Array;
  /** incoming edges per destination node: source node → edge */
  incoming: Array<Map<number, Edge> | undefined>;
}

export interface Edge {
  weight: number;
  /** true while every time the edge was seen the callee was inlined into the caller */
  inline: boolean;
  stamp: number;
}

/** Node identity once file names, line numbers and addresses are aggregated away (NodeInfo). */
export function nodeTable(locations: PprofLocation[]): NodeTable {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const idOf = (key: string, name: string) => {
    let id = ids.get(key);
    if (id === undefined) {
      id = names.length;
      ids.set(key, id);
      names.push(name);
    }
    return id;
  };
  const locStart = new Uint32Array(locations.length + 1);
  let total = 0;
  locations.forEach((location, l) => {
    locStart[l] = total;
    total += Math.max(location.lines.length, 1);
  });
  locStart[locations.length] = total;
  const nodes = new Int32Array(total);
  const single = new Int32Array(locations.length).fill(-1);
  const byFunction = new Map<object, number>();
  locations.forEach((location, l) => {
    const objfile = location.mapping?.file ?? '';
    // a nameless function is told apart by its binary and start line, printed as [binary]
    const printableObj = objfile === '' ? '<unknown>' : `[${basename(objfile)}]`;
    const lines = location.lines.length === 0 ? [undefined] : location.lines;
    lines.forEach((line, index) => {
      const fn = line?.fn;
      let id = fn && fn.name !== '' ? byFunction.get(fn) : undefined;
      if (id === undefined) {
        id =
          fn && fn.name !== ''
            ? idOf(`f\u0000${fn.name}`, fn.name)
            : idOf(`o\u0000${objfile}\u0000${fn ? fn.startLine : 0}`, printableObj);
        if (fn && fn.name !== '') byFunction.set(fn, id);
      }
      nodes[locStart[l]! + index] = id;
    });
    if (lines.length === 1) single[l] = nodes[locStart[l]!]!;
  });
  return { names, locStart, nodes, single };
}

/**
 * Flat and cum per node (and, on request, edges): flat goes to the innermost frame of the leaf
 * location, cum once per sample to every distinct node on the stack. With `kept`, other nodes are
 * left out as in a trimmed graph: a sample whose leaf was dropped adds no flat anywhere.
 */
export function buildGraph(
  input: GraphInput,
  table: NodeTable,
  kept: Uint8Array | undefined,
  withEdges: boolean,
): Graph {
  const count = table.names.length;
  const flat = new Float64Array(count);
  const cum = new Float64Array(count);
  const seen = new Int32Array(count).fill(-1);
  const incoming: Array<Map<number, Edge> | undefined> = new Array(count);
  const { locStart, nodes, single } = table;
  const { start, frames } = input.samples;
  const { value, include } = input;
  // with `kept`: which locations hold a kept node at all, to skip the others quickly
  let keptLocation: Uint8Array | undefined;
  if (kept !== undefined) {
    keptLocation = new Uint8Array(single.length);
    for (let l = 0; l < single.length; l++) {
      for (let k = locStart[l]!; k < locStart[l + 1]!; k++) if (kept[nodes[k]!] === 1) keptLocation[l] = 1;
    }
  }
  for (let s = 0; s < input.samples.count; s++) {
    const w = value[s]!;
    if (w === 0 || (include !== undefined && include[s] === 0)) continue;
    let parent = -1;
    let residual = false;
    // root to leaf, and within a location outer to inner, as pprof walks them
    for (let i = start[s + 1]! - 1; i >= start[s]!; i--) {
      const location = frames[i]!;
      if (keptLocation !== undefined && keptLocation[location] === 0) {
        residual = true;
        continue;
      }
      const one = single[location]!;
      if (one >= 0 && !withEdges) {
        // the common case of pass one: a one-line location, no edges
        if (seen[one] !== s) {
          seen[one] = s;
          cum[one]! += w;
        }
        parent = one;
        residual = false;
        continue;
      }
      const first = locStart[location]!;
      const last = locStart[location + 1]! - 1;
      for (let ni = last; ni >= first; ni--) {
        const n = nodes[ni]!;
        if (kept !== undefined && kept[n] === 0) {
          residual = true;
          continue;
        }
        if (seen[n] !== s) {
          seen[n] = s;
          cum[n]! += w;
        }
        if (withEdges && parent >= 0 && n !== parent) {
          let into = incoming[n];
          if (!into) {
            into = new Map();
            incoming[n] = into;
          }
          const edge = into.get(parent);
          const inline = ni !== last;
          if (!edge) into.set(parent, { weight: w, inline, stamp: s });
          else if (edge.stamp !== s) {
            // counted once per sample, like pprof's seenEdge; a repeat in the same sample changes nothing
            edge.stamp = s;
            edge.weight += w;
            if (!inline) edge.inline = false;
          }
        }
        parent = n;
        residual = false;
      }
    }
    if (parent >= 0 && !residual) flat[parent]! += w;
  }
  return { flat, cum, incoming };
}
