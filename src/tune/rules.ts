// The rules for the controller's knobs: workers, client QPS/burst, requeue, timeout, caching.
import type { Bottleneck, Recommendation } from '../report/sections/tune.js';
import { type RuleContext, r3, unchanged } from './rule-context.js';

export function workersRule(ctx: RuleContext, bottleneck: Bottleneck): Recommendation {
  const knob = 'controller.maxConcurrentReconciles';
  const current = ctx.settings.workers;
  const a = ctx.lambda * ctx.workSeconds;
  const target = Math.min(ctx.maxWorkers, Math.max(1, Math.ceil(a + ctx.beta * Math.sqrt(a))));
  const rho = a / Math.max(1, current);
  const evidence = {
    'λ (arrivals/s)': r3(ctx.lambda),
    'S work (s)': r3(ctx.workSeconds),
    'S̄ measured (s)': r3(ctx.controller.serviceMean),
    'a = λ·S': r3(a),
    ρ: r3(rho),
    'W̄q (s)': r3(ctx.controller.queueWaitMean),
  };
  const formula = `W = clamp(⌈a + ${ctx.beta}·√a⌉, 1, ${ctx.maxWorkers}) = ⌈${r3(a)} + ${ctx.beta}·${r3(Math.sqrt(a))}⌉ (Little's law + square-root staffing)`;
  // no time per reconcile is no evidence of idle workers: a = 0 would cut them to one
  if (ctx.workSeconds <= 0)
    return unchanged(
      knob,
      current,
      "kept: the run measured no reconcile time (the controller's reconcile-time histogram had no observations in the window); re-run with a longer load or a shorter --metrics-interval",
      evidence,
    );
  if (
    bottleneck === 'cpu' ||
    bottleneck === 'apiserver' ||
    bottleneck === 'webhook' ||
    bottleneck === 'memory' ||
    bottleneck === 'leak'
  ) {
    return unchanged(
      knob,
      current,
      `not raised: the bottleneck is ${bottleneck}, more workers would not help`,
      evidence,
    );
  }
  if (bottleneck === 'client-qps' && ctx.workHidden) {
    return unchanged(
      knob,
      current,
      'the work per reconcile is hidden behind the QPS limit: lift QPS, re-run, tune again',
      evidence,
    );
  }
  // while the client is throttled the work estimate carries the limiter's noise: only an unmistakable
  // shortage (the work alone needs twice the workers) is fixed in the same step as QPS
  if (bottleneck === 'client-qps' && rho <= 2) {
    return unchanged(
      knob,
      current,
      `the QPS limit binds first; after lifting it, workers would run at ρ ${r3(rho)}: re-run and tune again`,
      evidence,
    );
  }
  if (rho > 0.7 && target > current) {
    return {
      knob,
      current,
      recommended: target,
      changed: true,
      why: `queueing dominates (ρ ${r3(rho)} on work time alone)`,
      formula,
      evidence,
    };
  }
  if (rho < 0.2 && target < current && bottleneck !== 'client-qps') {
    return {
      knob,
      current,
      recommended: target,
      changed: true,
      why: `workers mostly idle (ρ ${r3(rho)})`,
      formula,
      evidence,
    };
  }
  return unchanged(
    knob,
    current,
    bottleneck === 'client-qps'
      ? 'enough workers once the QPS limit is lifted'
      : `ρ ${r3(rho)} is in the comfortable band 0.2–0.7`,
    evidence,
  );
}

export function qpsRule(ctx: RuleContext, workers: number, bottleneck: Bottleneck): Recommendation[] {
  const r = ctx.process.restRequestsPerReconcile ?? 0;
  const { qps, burst } = ctx.settings;
  const evidence = {
    'λ (reconciles/s)': r3(ctx.lambda),
    'R (requests/reconcile)': r3(r),
    'REST/s measured': r3(ctx.process.restRequestsPerSecond),
    '429/s': r3(ctx.process.rest429PerSecond),
  };
  if (r === 0)
    return [
      unchanged('rateLimit.qps', qps > 0 ? qps : null, 'no REST requests measured'),
      unchanged('rateLimit.burst', burst || null, 'no REST requests measured'),
    ];
  const newQps = Math.ceil(1.5 * ctx.lambda * r);
  const newBurst = Math.max(Math.ceil(workers * r), 2 * newQps);
  if (bottleneck === 'apiserver') {
    return [
      unchanged(
        'rateLimit.qps',
        qps > 0 ? qps : null,
        'not raised: the API server is saturated, a higher QPS would only queue there',
        evidence,
      ),
      unchanged('rateLimit.burst', burst || null, 'not raised: the API server is saturated', evidence),
    ];
  }
  if (qps <= 0) {
    return [
      unchanged(
        'rateLimit.qps',
        null,
        'no client-side limit and no 429s: leave it unlimited (controller-runtime ≥ 0.21 default)',
        evidence,
      ),
      unchanged('rateLimit.burst', null, 'no client-side limit', evidence),
    ];
  }
  const needed = qps <= 0 || bottleneck === 'client-qps' || newQps > qps;
  if (!needed) {
    return [
      unchanged('rateLimit.qps', qps, `QPS ${qps} covers 1.5·λ·R = ${newQps}`, evidence),
      unchanged('rateLimit.burst', burst, 'covers W·R', evidence),
    ];
  }
  return [
    {
      knob: 'rateLimit.qps',
      current: qps > 0 ? qps : null,
      recommended: newQps,
      changed: true,
      why: 'the client must not throttle at 1.5× the measured rate (the limit is per object type)',
      formula: `QPS = ⌈1.5·λ·R⌉ = ⌈1.5·${r3(ctx.lambda)}·${r3(r)}⌉`,
      evidence,
    },
    {
      knob: 'rateLimit.burst',
      current: burst || null,
      recommended: newBurst,
      changed: newBurst !== burst,
      why: 'every worker can make its calls at once, and a second of QPS',
      formula: `burst = max(⌈W·R⌉, 2·QPS) = max(⌈${workers}·${r3(r)}⌉, ${2 * newQps})`,
      evidence,
    },
  ];
}

export function requeueRule(ctx: RuleContext, workers: number): Recommendation {
  const knob = 'reconciliation.requeueDelay';
  const current = ctx.current?.reconciliation?.requeueDelay ?? null;
  const share = ctx.controller.requeueShare;
  if (share < 0.5)
    return unchanged(
      knob,
      current,
      `not polling-dominated (requeues ${Math.round(share * 100)}% of reconciles)`,
      { 'requeue share': r3(share) },
    );
  const seconds = Math.ceil((ctx.objects * ctx.workSeconds) / (0.3 * Math.max(1, workers)));
  return {
    knob,
    current,
    recommended: `${seconds}s`,
    changed: `${seconds}s` !== current,
    why: `polling dominates (${Math.round(share * 100)}% of reconciles are requeues): polling may use at most 30% of the workers`,
    formula: `D ≥ N·S/(f·W) = ${ctx.objects}·${r3(ctx.workSeconds)}/(0.3·${workers})`,
    evidence: { 'requeue share': r3(share), N: ctx.objects },
  };
}

export function timeoutRule(ctx: RuleContext): Recommendation {
  const knob = 'reconciliation.timeout';
  const current = ctx.current?.reconciliation?.timeout ?? null;
  const p95 = ctx.controller.serviceP95;
  if (p95 === null || !Number.isFinite(p95) || p95 <= 0)
    return unchanged(knob, current, 'no reconcile-time distribution measured');
  const needed = Math.max(5, Math.ceil(5 * p95));
  const currentMs = ctx.settings.timeoutMs;
  if (currentMs === 0 || currentMs >= needed * 1000)
    return unchanged(
      knob,
      current,
      currentMs === 0 ? 'no timeout set' : `covers 5× the p95 reconcile time (${r3(p95)}s)`,
      { 'S p95 (s)': r3(p95) },
    );
  return {
    knob,
    current,
    recommended: `${needed}s`,
    changed: true,
    why: 'below 5× the p95 reconcile time: healthy reconciles would be cut off',
    formula: `timeout = ⌈5·p95⌉ = ⌈5·${r3(p95)}⌉ s`,
    evidence: { 'S p95 (s)': r3(p95) },
  };
}

export function cachingRule(ctx: RuleContext): Recommendation {
  const knob = 'caching.maxSize';
  const current = ctx.current?.caching?.maxSize ?? null;
  const ratio = ctx.vitistack?.cacheHitRatio ?? null;
  if (ratio === null)
    return unchanged(knob, current, 'no cache metrics (vitistack_cache_hits_total) at the target');
  if (ratio >= 0.8 || current === null)
    return unchanged(knob, current, `hit ratio ${Math.round(ratio * 100)}%`, { 'hit ratio': r3(ratio) });
  return {
    knob,
    current,
    recommended: current * 2,
    changed: true,
    why: `hit ratio only ${Math.round(ratio * 100)}%`,
    formula: 'maxSize × 2 (re-measure)',
    evidence: { 'hit ratio': r3(ratio) },
  };
}

/** Headroom over the modelled need: a burst of allocation between two GCs, a scrape that missed the peak. */
