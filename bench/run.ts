import { readFileSync } from 'node:fs';
import { benchApply } from './apply.bench.js';
import { benchEmitter } from './emitter.bench.js';
import { benchLab } from './lab.bench.js';
import { benchLifecycle } from './lifecycle.bench.js';
import { benchMetrics } from './metrics.bench.js';
import { benchPprof } from './pprof.bench.js';
import { benchScenario } from './scenario.bench.js';
import { benchShard } from './shard.bench.js';
import { benchTuneVerify } from './tune/verify.js';
import { benchTune } from './tune.bench.js';
import { benchWebhook } from './webhook.bench.js';

/** `npm run bench`: every benchmark, each writing bench/results/<name>.json. */
const benches: Record<string, () => Promise<string>> = {
  scenario: benchScenario,
  emitter: benchEmitter,
  lab: benchLab,
  apply: benchApply,
  lifecycle: benchLifecycle,
  webhook: benchWebhook,
  tune: benchTune,
  'tune-verify': benchTuneVerify,
  pprof: benchPprof,
  shard: benchShard,
  metrics: benchMetrics,
};
const only = process.argv.slice(2);
for (const [name, run] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench ${name}…\n`);
  const file = await run();
  process.stdout.write(`${readFileSync(file, 'utf8')}\n`);
}
