import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { defaultBurst } from '../../load/rate-limiter.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import {
  collect,
  durationFlag,
  existingFileFlag,
  intFlag,
  mibFlag,
  numberFlag,
  outputFileFlag,
  outputFormat,
  shardFromFlags,
} from '../flags.js';
import { againToQuit, interruptExitCode } from '../io.js';

interface ApplyFlags {
  crd?: string[];
  count?: string;
  namespaces?: string;
  seed?: string;
  runId?: string;
  reuseRunId?: boolean;
  qps?: string;
  burst?: string;
  concurrency?: string;
  wait: boolean;
  timeout?: string;
  cleanup: boolean;
  out?: string;
  timeline?: string;
  metrics?: string;
  metricsInterval?: string;
  selector?: string;
  port?: string;
  ca?: string;
  bearerTokenFile?: string;
  insecureSkipTlsVerify?: boolean;
  maxExpositionSize?: string;
  shard?: string;
  apiserverMetrics: boolean;
  etcdMetrics?: string;
  auditLog?: string;
}

function loadModeFromFlags(flags: Pick<ApplyFlags, 'qps' | 'burst' | 'concurrency'>) {
  const qps = numberFlag('--qps', flags.qps, 0.001);
  const burst = intFlag('--burst', flags.burst, 1);
  const concurrency = intFlag('--concurrency', flags.concurrency, 1);
  if (qps !== undefined && concurrency !== undefined) {
    throw usageError(
      '--qps and --concurrency exclude each other',
      '--qps Q paces an open loop; --concurrency C keeps C creates in flight',
    );
  }
  if (burst !== undefined && qps === undefined) throw usageError('--burst needs --qps');
  // default: catch up on stalls of up to 100 ms worth of starts, never more
  if (qps !== undefined) return { mode: 'open' as const, rate: qps, burst: burst ?? defaultBurst(qps) };
  return { mode: 'closed' as const, concurrency: concurrency ?? 32 };
}

async function apply(ctx: CliContext, file: string | undefined, flags: ApplyFlags) {
  const format = outputFormat(ctx, ['table', 'json', 'yaml'] as const, 'table');
  outputFileFlag('--out', flags.out);
  outputFileFlag('--timeline', flags.timeline);
  const load = loadModeFromFlags(flags);
  const timeoutMs = durationFlag('--timeout', flags.timeout);
  if (file === undefined && (flags.crd ?? []).length === 0)
    throw usageError(
      'a scenario is required',
      'vitictl apply machines, or a file; see vitictl scenario list',
    );
  const { prepareScenario } = await import('../../scenario/prepare.js');
  const { applyRun } = await import('../../load/apply-run.js');
  const { newRunId } = await import('../../report/run-id.js');
  const shard = await shardFromFlags(flags);
  const prepared = await prepareScenario({
    scenario: file,
    crdFiles: flags.crd ?? [],
    count: intFlag('--count', flags.count, 0),
    namespaces: intFlag('--namespaces', flags.namespaces, 1),
    seed: intFlag('--seed', flags.seed, 0),
    runId: flags.runId ?? newRunId(),
    shard,
  });
  let metrics:
    | { targets: import('../../observe/target.js').Target[]; intervalMs: number; maxBytes?: number }
    | undefined;
  const maxExpositionBytes = mibFlag('--max-exposition-size', flags.maxExpositionSize);
  if (flags.metrics || flags.selector) {
    const { resolveTargets } = await import('../../observe/target.js');
    const { targetOptions } = await import('./metrics.js');
    metrics = {
      targets: await resolveTargets(flags.metrics, targetOptions(ctx, flags)),
      intervalMs: durationFlag('--metrics-interval', flags.metricsInterval) ?? 2000,
      ...(maxExpositionBytes ? { maxBytes: maxExpositionBytes } : {}),
    };
  }
  const { apiserverObserve } = await import('../../observe/apiserver/options.js');
  const apiserverMetrics = await apiserverObserve({
    enabled: flags.apiserverMetrics,
    etcdUrl: flags.etcdMetrics,
    intervalMs: durationFlag('--metrics-interval', flags.metricsInterval) ?? 2000,
    maxBytes: maxExpositionBytes,
    onWarning: (message) => ctx.warn(message),
  });
  const auditLog = existingFileFlag(
    '--audit-log',
    flags.auditLog,
    "the API server's --audit-log-path file (JSON lines); the lab's: .lab/logs/audit.log",
  );
  const { makeProgress } = await import('../progress.js');
  const progress = await makeProgress(ctx);
  const runId = prepared.plan.runId;
  const signal = ctx.io.interrupt(() => {
    progress.stop();
    ctx.io.stderr.write(
      `\ninterrupted twice: stopped without cleanup; remove what run ${runId} created with: vitictl cleanup --run-id ${runId}\n`,
    );
  });
  signal.addEventListener(
    'abort',
    () => ctx.info(`\ninterrupt: stopping creates, cleaning up ${againToQuit(signal)}`),
    { once: true },
  );
  let run: Awaited<ReturnType<typeof applyRun>>;
  try {
    run = await applyRun({
      prepared,
      kubeconfig: ctx.globals.kubeconfig,
      context: ctx.globals.context,
      load,
      wait: flags.wait,
      timeoutMs,
      cleanup: flags.cleanup,
      reuseRunId: flags.reuseRunId === true,
      signal,
      env: ctx.io.env,
      onPhase: (name) => progress.phase(name),
      onProgress: (p) => progress.update(p),
      onWarning: (message) => ctx.warn(message),
      onInfo: (message) => ctx.info(message),
      metrics,
      apiserverMetrics,
      auditLog,
    });
  } finally {
    progress.stop();
    await Promise.all(
      [...(metrics?.targets ?? []), ...(apiserverMetrics?.etcd ? [apiserverMetrics.etcd] : [])].map(
        (target) => target.close(),
      ),
    );
  }
  const { result } = run;
  const { unansweredTargets } = await import('../../render/observe-warnings.js');
  for (const line of unansweredTargets(result)) ctx.warn(line);
  const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
  if (flags.out) {
    const text = `${JSON.stringify(result, null, 2)}\n`;
    await writeFileAtomically(flags.out, (stream) => writeChunks(stream, [text]));
  }
  if (flags.timeline) {
    const rows = run.timelines();
    await writeFileAtomically(flags.timeline, (stream) =>
      writeChunks(
        stream,
        (function* () {
          for (const row of rows) yield `${JSON.stringify(row)}\n`;
        })(),
      ),
    );
  }
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (format === 'yaml') {
    const { toYaml } = await import('../../util/yaml-emit.js');
    ctx.io.stdout.write(toYaml(result));
  } else {
    const { renderApplySummary } = await import('../../render/run-views.js');
    ctx.io.stdout.write(renderApplySummary(result, ctx.style));
  }
  if (result.interrupted) return interruptExitCode(signal);
  const counts = result.apply?.counts;
  const cleanup = result.cleanup;
  const { cleanupIncomplete } = await import('../../report/sections/cleanup.js');
  if (cleanup && cleanupIncomplete(cleanup)) {
    const { cleanupText } = await import('../../render/summary-text.js');
    // objects this run created may still be in the cluster: never a silent success
    ctx.warn(`${cleanupText(cleanup)}; retry with vitictl cleanup --run-id ${result.runId}`);
    return 1;
  }
  return counts && counts.failed + counts.timedOut > 0 ? 1 : 0;
}

export function registerApply(program: Command, runner: Runner): void {
  program
    .command('apply')
    .argument('[scenario]', 'scenario file, or the name of a built-in scenario')
    .description(
      "create a scenario's objects at a controlled rate, time every one until ready, clean up what this run created",
    )
    .option('--count <n>', 'total objects (sets with fixedCount keep theirs)')
    .option('--namespaces <n>', 'spread namespaced objects over N namespaces')
    .option('--seed <n>', "seed for the scenario's random choices")
    .option('--crd <file>', 'CRD manifest(s) for kinds not built in (repeatable)', collect)
    .option('--qps <q>', 'open loop: start Q creates per second on an even schedule')
    .option(
      '--burst <b>',
      'open loop: catch up at most B creates after a stall, at most 1.2× the rate in any 100 ms (default: rate/10)',
    )
    .option('--concurrency <c>', 'closed loop: keep C creates in flight (default 32 when --qps is not given)')
    .option('--no-wait', 'do not wait for readiness (only time the creates)')
    .option('--timeout <duration>', "per-object readiness timeout (default: the scenario's)")
    .option('--keep', 'leave the objects (default: delete what this run created)')
    .option(
      '--run-id <id>',
      'run id for the vitictl.io/run-id label (default: generated; refused when objects already carry it)',
    )
    .option(
      '--reuse-run-id',
      'add to an earlier run with the same --run-id (this run’s cleanup deletes its objects too)',
    )
    .option(
      '--shard <i/N>',
      'run shard i of N (0-based) of the whole run: its namespaces, objects and share of --qps/--concurrency; needs --run-id',
    )
    .option('--out <file>', 'write the RunResult JSON here (atomically)')
    .option(
      '--metrics <target>',
      'scrape the controller alongside the load (a URL, pod/NAME:PORT, service/NAME:PORT); signals go into the RunResult for vitictl tune',
    )
    .option('--metrics-interval <duration>', 'scrape interval', '2s')
    .option('-l, --selector <selector>', 'scrape every pod matching (with --port) instead of --metrics')
    .option('--port <port>', 'metrics port for pod/service targets and -l')
    .option('--ca <file>', 'CA for an https --metrics URL')
    .option('--bearer-token-file <file>', 'bearer token for a secure metrics endpoint (never printed)')
    .option('--insecure-skip-tls-verify', "do not verify the metrics endpoint's TLS (warns)")
    .option('--max-exposition-size <MiB>', 'a scrape whose body is larger fails (default 64)')
    .option(
      '--no-apiserver-metrics',
      "do not scrape the API server's /metrics (scraped by default with the kubeconfig's credentials)",
    )
    .option('--etcd-metrics <url>', "also scrape etcd's metrics (e.g. http://127.0.0.1:2381/metrics)")
    .option(
      '--audit-log <file>',
      "the API server's audit log (JSON lines, status writes at RequestResponse level): split each object's last step into commit → watch event read → marked ready",
    )
    .option(
      '--timeline <file>',
      "write every object's timeline as NDJSON (wall-clock ms: intended, sent, acknowledged, ready, marked; committed with --audit-log)",
    )
    .addHelpText(
      'after',
      `${examples(
        'vitictl apply machines --count 1000 --qps 50',
        'vitictl apply scenarios/mixed.yaml --concurrency 64 --out run.json',
        'vitictl apply machines --count 5000 --no-wait -o json',
        'vitictl apply vitistacks --timeout 2m --keep --run-id demo-1',
        'vitictl apply machines --count 2000 --qps 100 --metrics http://127.0.0.1:8080/metrics --out run.json',
        'vitictl apply machines --count 30000 --qps 300 --run-id big-1 --shard 1/3 --out shard-1.json',
      )}
Every object ends as ready, failed (with the reason), timed out, or not waited on; the counts add up.
Exit 0 when all objects are ready, 1 when any failed or timed out or cleanup left objects behind, 2 for bad input, 130 on Ctrl-C
(creates stop, the partial result is written, what was created is cleaned up).
`,
    )
    .action(
      bind(runner, async (ctx, file: string | undefined, flags: ApplyFlags & { keep?: boolean }) =>
        apply(ctx, file, { ...flags, cleanup: flags.keep !== true }),
      ),
    );
}
