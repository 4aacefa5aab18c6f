// The rules for CPU, memory and the Go GC: sized for the objects the controller will cache.
import type { Recommendation } from '../report/sections/tune.js';
import { parseQuantityBytes } from './performance-config.js';
import { mib, type RuleContext, r3, unchanged } from './rule-context.js';

const MEMORY_HEADROOM = 1.15;

export function resourceRules(ctx: RuleContext): Recommendation[] {
  const p = ctx.process;
  const cur = ctx.current?.resourceOptimization;
  const sizing = ctx.sizing;
  const out: Recommendation[] = [];
  const cpu = sizing?.cpu;
  if (cpu) {
    const cores = Math.max(cpu.needCores, p.cpuP90Cores ?? 0);
    const milli = Math.max(10, Math.ceil((1.15 * cores * 1000) / 10) * 10);
    out.push({
      knob: 'resourceOptimization.cpu.request',
      current: cur?.cpu?.request ?? null,
      recommended: `${milli}m`,
      changed: `${milli}m` !== cur?.cpu?.request,
      why: `1.15 × the CPU modelled at ${r3(sizing.peakRate)} objects/s (and never below the run's p90); no CPU limit`,
      formula: `1.15 · max(${r3(cpu.baseCores)} + ${r3(cpu.coresPerObjectPerSecond)}·${r3(sizing.peakRate)}, p90 ${r3(p.cpuP90Cores ?? 0)}) cores`,
      evidence: {
        'cpu base (cores)': r3(cpu.baseCores),
        'cores per object/s': r3(cpu.coresPerObjectPerSecond),
        'peak rate (objects/s)': r3(sizing.peakRate),
        scrapes: cpu.points,
      },
    });
  } else if (p.cpuP90Cores === null) {
    out.push(
      unchanged('resourceOptimization.cpu.request', cur?.cpu?.request ?? null, 'no process CPU metrics'),
    );
  } else {
    const milli = Math.max(10, Math.ceil((1.15 * p.cpuP90Cores * 1000) / 10) * 10);
    out.push({
      knob: 'resourceOptimization.cpu.request',
      current: cur?.cpu?.request ?? null,
      recommended: `${milli}m`,
      changed: `${milli}m` !== cur?.cpu?.request,
      why: '1.15 × p90 of CPU used (VPA/KRR practice; too few scrapes to fit CPU against rate); no CPU limit',
      formula: `1.15 · ${r3(p.cpuP90Cores)} cores`,
      evidence: { 'cpu p90 (cores)': r3(p.cpuP90Cores) },
    });
  }
  const memory = sizing?.memory;
  if (!sizing || !memory) {
    out.push(...memoryFromRss(ctx));
    return out;
  }
  const evidence = {
    N: sizing.objects,
    'N from': sizing.objectsSource,
    'objects the run held': sizing.objectsSeen,
    'heap base': mib(memory.heapBaseBytes),
    'heap per object (B)': memory.heapPerObjectBytes,
    'non-heap overhead': mib(memory.overheadBytes),
    GOGC: memory.gogc,
    'modelled need': mib(memory.needBytes),
    extrapolated: sizing.extrapolated,
  };
  const need = `${mib(memory.overheadBytes)} + (${mib(memory.heapBaseBytes)} + ${memory.heapPerObjectBytes} B·${sizing.objects})·(1 + ${memory.gogc}/100)`;
  const request = mib(memory.needBytes);
  const limit = mib(MEMORY_HEADROOM * memory.needBytes);
  const at = `at ${sizing.objects} cached objects (${sizing.objectsSource === 'flag' ? '--objects' : sizing.objectsSource === 'cluster' ? "the cluster's live count" : "the run's count"})${sizing.extrapolated ? ', extrapolated' : ''}`;
  out.push({
    knob: 'resourceOptimization.memory.request',
    current: cur?.memory?.request ?? null,
    recommended: request,
    changed: request !== cur?.memory?.request,
    why: `the modelled need ${at}`,
    formula: need,
    evidence,
  });
  out.push({
    knob: 'resourceOptimization.memory.limit',
    current: cur?.memory?.limit ?? null,
    recommended: limit,
    changed: limit !== cur?.memory?.limit,
    why: `${MEMORY_HEADROOM} × the modelled need ${at}`,
    formula: `${MEMORY_HEADROOM} · (${need})`,
    evidence,
  });
  return out;
}

/**
 * A run without a per-scrape series (recorded before it was kept) has no growth to model: its own RSS
 * sizes it for its own object count, and nothing is said for a count it did not see.
 */
function memoryFromRss(ctx: RuleContext): Recommendation[] {
  const p = ctx.process;
  const cur = ctx.current?.resourceOptimization?.memory;
  if (p.rssP95Bytes === null || p.rssMaxBytes === null)
    return [
      unchanged('resourceOptimization.memory.request', cur?.request ?? null, 'no RSS metrics'),
      unchanged('resourceOptimization.memory.limit', cur?.limit ?? null, 'no RSS metrics'),
    ];
  if (ctx.objectsToSize !== undefined && ctx.objectsToSize > 1.1 * ctx.objects) {
    const why = `no per-scrape memory series to model ${ctx.objectsToSize} objects from (the run held ${ctx.objects}): re-record it with this vitictl`;
    return [
      unchanged('resourceOptimization.memory.request', cur?.request ?? null, why),
      unchanged('resourceOptimization.memory.limit', cur?.limit ?? null, why),
    ];
  }
  const request = mib(Math.max(64 * 2 ** 20, 1.15 * p.rssP95Bytes));
  const limit = mib(Math.max(64 * 2 ** 20, 1.15 * p.rssMaxBytes));
  const valid = `valid for the ${ctx.objects} objects the run held`;
  return [
    {
      knob: 'resourceOptimization.memory.request',
      current: cur?.request ?? null,
      recommended: request,
      changed: request !== cur?.request,
      why: `1.15 × p95 RSS (no per-scrape series to model growth: ${valid})`,
      formula: `1.15 · ${mib(p.rssP95Bytes)}`,
      evidence: { 'rss p95': mib(p.rssP95Bytes) },
    },
    {
      knob: 'resourceOptimization.memory.limit',
      current: cur?.limit ?? null,
      recommended: limit,
      changed: limit !== cur?.limit,
      why: `1.15 × max RSS (${valid})`,
      formula: `1.15 · ${mib(p.rssMaxBytes)}`,
      evidence: { 'rss max': mib(p.rssMaxBytes) },
    },
  ];
}

export function gcRules(ctx: RuleContext, memoryLimit: string | null): Recommendation[] {
  const p = ctx.process;
  const out: Recommendation[] = [];
  const limitBytes = parseQuantityBytes(memoryLimit ?? undefined);
  if (limitBytes === undefined)
    out.push(
      unchanged('gc.gomemlimit', ctx.current?.gc?.gomemlimit ?? null, 'no memory limit to derive it from'),
    );
  else {
    const value = `${Math.floor((0.9 * limitBytes) / 2 ** 20)}MiB`;
    out.push({
      knob: 'gc.gomemlimit',
      current: ctx.current?.gc?.gomemlimit ?? null,
      recommended: value,
      changed: value !== ctx.current?.gc?.gomemlimit,
      why: 'the GC works harder before the container limit is hit, instead of an OOM kill',
      formula: `0.9 · ${memoryLimit}`,
      evidence: { 'memory limit': memoryLimit },
    });
  }
  const gogc = ctx.current?.gc?.gogc ?? p.gogc ?? 100;
  const share = p.gcCpuShare;
  if (share === null || share <= 0.1) {
    out.push(
      unchanged(
        'gc.gogc',
        gogc,
        share === null ? 'no GC CPU metrics' : `GC uses ${Math.round(share * 100)}% of CPU (≤ 10%)`,
        { 'gc cpu share': share === null ? null : r3(share) },
      ),
    );
  } else {
    const memory = ctx.sizing?.memory;
    const heap = memory
      ? memory.heapBaseBytes + memory.heapPerObjectBytes * (ctx.sizing?.objects ?? 0)
      : (p.heapLiveBytes ?? 0);
    let next = Math.min(400, gogc * 2);
    if (limitBytes && heap > 0) while (next > gogc && heap * (1 + next / 100) > 0.9 * limitBytes) next -= 50;
    out.push(
      next > gogc
        ? {
            knob: 'gc.gogc',
            current: gogc,
            recommended: next,
            changed: true,
            why: `GC uses ${Math.round(share * 100)}% of CPU; the heap goal still fits the memory limit`,
            formula: `heap ${mib(heap)} · (1 + GOGC/100) ≤ 0.9 · limit, GOGC ≤ 400`,
            evidence: { 'gc cpu share': r3(share), heap: mib(heap) },
          }
        : unchanged('gc.gogc', gogc, 'GC is busy but a higher GOGC would not fit the memory limit', {
            'gc cpu share': r3(share),
          }),
    );
  }
  return out;
}
