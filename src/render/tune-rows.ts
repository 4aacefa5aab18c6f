import type { PercentilesMs, TuneResult } from '../report/sections/tune.js';

/** The time-to-ready rows every tune view shows: measured, then each prediction made. Pure. */
export function timeToReadyRows(result: TuneResult): Array<{ name: string; value: PercentilesMs }> {
  const p = result.prediction;
  return [
    ...(result.measured ? [{ name: 'measured (this run)', value: result.measured }] : []),
    ...(p?.current ? [{ name: 'predicted, current', value: p.current }] : []),
    ...(p?.recommended ? [{ name: 'predicted, recommended', value: p.recommended }] : []),
  ];
}

/** One line on where the model was fitted and how well it reproduces the run. */
export function validityLine(result: TuneResult): string | null {
  const p = result.prediction;
  if (!p?.validity) return null;
  const v = p.validity;
  const cpu = v.apiserverCpu
    ? ` on ${v.apiserverCpu.cores} of its ${v.apiserverCpu.gomaxprocs} cores at ${v.apiserverCpu.requestsPerSecond}/s`
    : '';
  const fit = p.fit ? `; reproduces this run at p50 ×${p.fit.p50}, p99 ×${p.fit.p99}` : '';
  return `valid for ${v.objects} objects at ${v.arrivalRate.min === v.arrivalRate.max ? `${v.arrivalRate.max}/s` : `${v.arrivalRate.min}–${v.arrivalRate.max}/s`}, ${v.workers.join(', ')} worker(s) seen, the API server seen at ${v.apiserverRps.min}–${v.apiserverRps.max} requests/s${cpu}${fit}`;
}

/** The sizing in one line: N, where it came from, the modelled memory need, extrapolated or not. */
export function sizingLine(result: TuneResult): string | null {
  const s = result.sizing;
  if (!s?.memory) return null;
  const from = { flag: '--objects', cluster: "the cluster's live count", run: "the run's count" }[
    s.objectsSource
  ];
  return `sized for ${s.objects} cached objects (${from}) at ${s.peakRate.toFixed(1)} objects/s: memory need ${Math.ceil(s.memory.needBytes / 2 ** 20)}Mi${s.cpu ? `, CPU ${Math.round(s.cpu.needCores * 1000)}m` : ''}${s.extrapolated ? ` — ${s.extrapolated}` : ''}`;
}

/** When the recommendation is a step: what the formulas wanted, and why the model would not predict it. */
export function stepLines(result: TuneResult): string[] {
  const held = result.prediction?.held;
  if (held) return [`workers, QPS and burst kept: ${held.why}`];
  const step = result.prediction?.step;
  if (!step) return [];
  const t = step.target;
  const wanted = `workers ${t.workers}, QPS ${t.qps > 0 ? t.qps : 'unlimited'}, burst ${t.burst}`;
  return [
    `a step of ${Math.round(step.fraction * 100)}% toward the formulas' ${wanted}, as far as the model can predict; verify it, then tune again from the new run. Not further because:`,
    ...step.beyond,
  ];
}
