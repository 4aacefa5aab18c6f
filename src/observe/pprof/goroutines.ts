import { inputError } from '../../errors.js';

/**
 * Go's goroutine?debug=2 text dump (runtime.goroutineheader + traceback): one block per goroutine,
 * "goroutine N [state, M minutes, locked to thread]:", then a function line and a "\tfile:line +0x…"
 * line per frame, then "created by … in goroutine N".
 */

export interface StackFrame {
  fn: string;
  /** file:line */
  at: string;
}

export interface Goroutine {
  id: number;
  /** "running", "select", "chan receive", "IO wait", "sync.Mutex.Lock", … */
  state: string;
  /** whole minutes blocked, as Go prints it (0 when under a minute or not shown) */
  waitMinutes: number;
  lockedToThread: boolean;
  /** leaf first */
  frames: StackFrame[];
  createdBy: StackFrame | undefined;
  /** the goroutine that started this one */
  parent: number | undefined;
}

const HEADER = /^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[(.*)\]:$/;

function parseHeaderState(inside: string) {
  // pprof labels (GODEBUG=tracebacklabels=1) come last and may hold commas
  const text = inside.replace(/ labels:\{.*\}$/, '');
  const parts = text.split(', ');
  const state = (parts[0] ?? '').replace(/ \((?:scan|durable)\)/g, '');
  let waitMinutes = 0;
  let lockedToThread = false;
  for (const part of parts.slice(1)) {
    const minutes = /^(\d+) minutes$/.exec(part);
    if (minutes) waitMinutes = Number(minutes[1]);
    else if (part === 'locked to thread') lockedToThread = true;
  }
  return { state, waitMinutes, lockedToThread };
}

/** Strip a frame's argument list: "pkg.(*T).M(0x1, {…})" → "pkg.(*T).M". */
function functionName(line: string): string {
  const match = /^(.*)\((?:[^()]*)\)$/.exec(line);
  return match ? match[1]! : line;
}

/** Parse a debug=2 dump. Unknown lines are skipped; no goroutine at all is an input error. */
export function parseGoroutineDump(text: string, source = 'goroutine dump'): Goroutine[] {
  const goroutines: Goroutine[] = [];
  let current: Goroutine | undefined;
  let pendingFn: string | undefined;
  let pendingCreatedBy: { fn: string; parent: number | undefined } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const header = HEADER.exec(line);
    if (header) {
      current = {
        id: Number(header[1]),
        ...parseHeaderState(header[2]!),
        frames: [],
        createdBy: undefined,
        parent: undefined,
      };
      goroutines.push(current);
      pendingFn = undefined;
      pendingCreatedBy = undefined;
      continue;
    }
    if (!current || line === '') continue;
    if (line.startsWith('\t')) {
      const at = line.trim().replace(/ \+0x[0-9a-f]+$/, '');
      if (pendingCreatedBy) {
        current.createdBy = { fn: pendingCreatedBy.fn, at };
        current.parent = pendingCreatedBy.parent;
        pendingCreatedBy = undefined;
      } else if (pendingFn !== undefined) {
        current.frames.push({ fn: pendingFn, at });
        pendingFn = undefined;
      }
      continue;
    }
    const created = /^created by (.+?)(?: in goroutine (\d+))?$/.exec(line);
    if (created) {
      pendingCreatedBy = { fn: created[1]!, parent: created[2] ? Number(created[2]) : undefined };
      continue;
    }
    if (line.startsWith('...')) continue; // "...additional frames elided..."
    pendingFn = functionName(line);
  }
  if (goroutines.length === 0) {
    throw inputError(`${source}: no "goroutine N [state]:" blocks found`, {
      hint: 'expected the text of /debug/pprof/goroutine?debug=2 (vitictl pprof capture TARGET --profile goroutine --debug 2)',
    });
  }
  return goroutines;
}

// --- summary ----------------------------------------------------------------------------------

export interface StateCount {
  state: string;
  count: number;
  /** of them, waiting a minute or more */
  waitingMinutes: number;
  maxWaitMinutes: number;
}

export interface StackGroup {
  count: number;
  states: Record<string, number>;
  minWaitMinutes: number;
  maxWaitMinutes: number;
  /** the first frame outside runtime/sync/internal: where it waits or runs */
  where: StackFrame | undefined;
  frames: StackFrame[];
  createdBy: StackFrame | undefined;
  /** controller-runtime worker: idle (waiting on the queue) or busy (in Reconcile) */
  worker: 'idle' | 'busy' | undefined;
}

export interface GoroutineFlag {
  severity: 'warning' | 'info';
  message: string;
}

export interface GoroutineSummary {
  total: number;
  byState: StateCount[];
  stacks: StackGroup[];
  workers: { total: number; idle: number; busy: number; busyBlocked: number };
  flags: GoroutineFlag[];
}

export interface SummaryOptions {
  /** how many stack groups to keep (default 10) */
  top?: number;
  /** a group this large waiting at one place is flagged (default 10) */
  crowd?: number;
}

const RUNNING = new Set(['running', 'runnable', 'syscall']);
const LOCK_STATES =
  /^(sync\.Mutex\.Lock|sync\.RWMutex\.R?Lock|semacquire|chan send|chan receive \(nil chan\)|chan send \(nil chan\)|select \(no cases\))$/;
const PLUMBING = /^(runtime|sync|internal\/[\w/]+|sync\/atomic)\./;

function whereOf(frames: StackFrame[]): StackFrame | undefined {
  return frames.find((frame) => !PLUMBING.test(frame.fn)) ?? frames[0];
}

/** Worker goroutines of controller-runtime: idle when the frame under processNextWorkItem is a queue Get. */
function workerKind(frames: StackFrame[]): 'idle' | 'busy' | undefined {
  const index = frames.findIndex((frame) => frame.fn.endsWith('.processNextWorkItem'));
  if (index < 0) return undefined;
  const callee = frames[index - 1]?.fn ?? '';
  return /(workqueue|priorityqueue)\..*\.Get(WithPriority)?$/.test(callee) ? 'idle' : 'busy';
}

const where = (frame: StackFrame | undefined) => (frame ? `${frame.fn} (${frame.at})` : 'an empty stack');

export function summarizeGoroutines(goroutines: Goroutine[], options: SummaryOptions = {}): GoroutineSummary {
  const top = options.top ?? 10;
  const crowd = options.crowd ?? 10;
  const states = new Map<string, StateCount>();
  const groups = new Map<string, StackGroup>();
  for (const g of goroutines) {
    const state = states.get(g.state) ?? { state: g.state, count: 0, waitingMinutes: 0, maxWaitMinutes: 0 };
    state.count++;
    if (g.waitMinutes >= 1) state.waitingMinutes++;
    state.maxWaitMinutes = Math.max(state.maxWaitMinutes, g.waitMinutes);
    states.set(g.state, state);
    const key = g.frames.map((f) => `${f.fn} ${f.at}`).join('\n');
    let group = groups.get(key);
    if (!group) {
      group = {
        count: 0,
        states: {},
        minWaitMinutes: g.waitMinutes,
        maxWaitMinutes: g.waitMinutes,
        where: whereOf(g.frames),
        frames: g.frames,
        createdBy: g.createdBy,
        worker: workerKind(g.frames),
      };
      groups.set(key, group);
    }
    group.count++;
    group.states[g.state] = (group.states[g.state] ?? 0) + 1;
    group.minWaitMinutes = Math.min(group.minWaitMinutes, g.waitMinutes);
    group.maxWaitMinutes = Math.max(group.maxWaitMinutes, g.waitMinutes);
  }
  const all = [...groups.values()].sort(
    (a, b) => b.count - a.count || (a.where?.fn ?? '').localeCompare(b.where?.fn ?? ''),
  );
  const waiting = (group: StackGroup) => Object.keys(group.states).some((s) => !RUNNING.has(s));

  const workers = { total: 0, idle: 0, busy: 0, busyBlocked: 0 };
  for (const group of all) {
    if (!group.worker) continue;
    workers.total += group.count;
    if (group.worker === 'idle') workers.idle += group.count;
    else {
      workers.busy += group.count;
      for (const [state, count] of Object.entries(group.states))
        if (!RUNNING.has(state)) workers.busyBlocked += count;
    }
  }

  const flags: GoroutineFlag[] = [];
  for (const group of all) {
    const stateList = Object.keys(group.states).join('/');
    if (group.worker === 'busy' && waiting(group) && group.count >= 2) {
      flags.push({
        severity: 'warning',
        message: `${group.count} busy workers are blocked in ${stateList} at ${where(group.where)}: reconciles wait there, not on the CPU`,
      });
    } else if (
      !group.worker &&
      waiting(group) &&
      Object.keys(group.states).some((s) => LOCK_STATES.test(s)) &&
      group.count >= 2
    ) {
      flags.push({
        severity: 'warning',
        message: `${group.count} goroutines are blocked in ${stateList} at ${where(group.where)}${group.maxWaitMinutes > 0 ? ` (up to ${group.maxWaitMinutes} minutes)` : ''}: lock contention or a stuck channel`,
      });
    } else if (!group.worker && waiting(group) && group.count >= crowd) {
      flags.push({
        severity: 'info',
        message: `${group.count} goroutines wait in ${stateList} at ${where(group.where)}${group.maxWaitMinutes > 0 ? ` (up to ${group.maxWaitMinutes} minutes)` : ''}`,
      });
    }
  }
  if (workers.total > 0 && workers.idle === 0) {
    flags.push({
      severity: 'warning',
      message: `all ${workers.total} reconcile workers are busy: the work queue has no idle worker (saturated, ρ ≈ 1)`,
    });
  }
  return {
    total: goroutines.length,
    byState: [...states.values()].sort((a, b) => b.count - a.count || a.state.localeCompare(b.state)),
    stacks: all.slice(0, top),
    workers,
    flags,
  };
}
