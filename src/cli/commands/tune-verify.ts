import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import type { Target } from '../../observe/target.js';
import type { RunResult } from '../../report/run-result.js';
import type { VerifyEvent, VerifyOptions } from '../../tune/verify/engine.js';
import type { SettleMode } from '../../tune/verify/settle.js';
import { REDACTED } from '../../util/redact-url.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { configMapFlags, durationFlag, intFlag, numberFlag, outputFormat } from '../flags.js';
import { againToQuit, interruptExitCode } from '../io.js';
import { readRunResult } from '../run-files.js';

/** Each round runs the load twice; more than this is a mistake, not rigour. */
const MAX_ROUNDS = 10;

export interface VerifyFlags {
  from?: string;
  name?: string;
  lab?: boolean;
  outDir?: string;
  metrics?: string;
  restart?: string;
  settle?: string;
  settleTimeout?: string;
  minImprovement?: string;
  /** false with --no-rebaseline: compare with the recorded run instead of re-measuring the live config */
  rebaseline?: boolean;
  rounds?: string;
  timeout?: string;
  strategy?: string;
  maxWorkers?: string;
  controller?: string;
}

/** Where to read the controller's config generation: --metrics, the lab's operator, or the run's own target. */
function metricsSpec(flags: VerifyFlags, run: RunResult, labMetrics: string | undefined): string | undefined {
  if (flags.metrics) return flags.metrics;
  if (labMetrics) return labMetrics;
  const recorded = run.observe?.targets.find((t) => t.signals)?.target ?? run.observe?.targets[0]?.target;
  return recorded && /^https?:\/\//.test(recorded) ? recorded : undefined;
}

function settleMode(flags: VerifyFlags, namespace: string, target: Target | undefined): SettleMode {
  if (flags.restart !== undefined && flags.settle !== undefined)
    throw usageError(
      '--restart and --settle exclude each other',
      'pick how verify knows the controller took the config',
    );
  if (flags.restart !== undefined) {
    const match = /^(?:deployment|deploy|deployments)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(flags.restart);
    if (!match)
      throw usageError(`invalid --restart "${flags.restart}"`, 'use deployment/NAME (in the -n namespace)');
    return {
      method: 'restart',
      namespace,
      deployment: match[1]!,
      timeoutMs: durationFlag('--settle-timeout', flags.settleTimeout) ?? 300_000,
    };
  }
  if (flags.settle !== undefined)
    return { method: 'settle', ms: durationFlag('--settle', flags.settle) ?? 0 };
  if (!target)
    throw usageError(
      'verify cannot tell when the controller takes the new config',
      'pass --metrics TARGET (a controller exporting vitistack_config_generation), --restart deployment/NAME, or --settle DURATION',
    );
  return {
    method: 'metric',
    target,
    timeoutMs: durationFlag('--settle-timeout', flags.settleTimeout) ?? 120_000,
  };
}

function describe(event: VerifyEvent, ctx: CliContext): string | undefined {
  const s = ctx.errStyle;
  switch (event.type) {
    case 'diff':
      return [
        event.diff.exists
          ? `diff against the live ${event.namespace}/${event.name}:`
          : `${event.namespace}/${event.name} does not exist yet; it will be created (and deleted again unless kept)`,
        ...event.diff.removed.map((line) => s.red(`- ${line}`)),
        ...event.diff.added.map((line) => s.green(`+ ${line}`)),
      ].join('\n');
    case 'applied':
      return `applied the recommended ConfigMap (server-side apply, field manager vitictl; config hash ${event.hash})`;
    case 'settling':
      return event.method === 'metric'
        ? 'waiting for the controller to report the new config (vitistack_config_generation)…'
        : event.method === 'restart'
          ? 'restarting the controller to take the new config…'
          : 'waiting for the controller to settle on the new config…';
    case 'settled':
      return event.settle.method === 'metric'
        ? `the controller runs with it: vitistack_config_generation ${event.settle.before?.hash ?? '?'} → ${event.settle.after.hash} (${event.settle.seconds}s)`
        : `settled after ${event.settle.seconds}s`;
    case 'rerun': {
      const round = event.round === undefined ? '' : ` (round ${event.round})`;
      return event.purpose === 'baseline'
        ? `re-measuring the baseline${round}: the same load with the live config, run ${event.runId}, ${event.objects} objects`
        : `re-running the load${round}: run ${event.runId}, ${event.objects} objects`;
    }
    case 'restoring':
      return 'restoring the previous ConfigMap…';
    case 'restored':
      return event.how === 'deleted'
        ? 'deleted the ConfigMap verify created (there was none before)'
        : 'the previous ConfigMap is back as it was';
    case 'info':
      return event.message;
    default:
      return undefined;
  }
}

export interface RunVerifyInput {
  run: RunResult;
  flags: VerifyFlags;
  /** with --lab: the lab's kubeconfig and operator metrics URL */
  kubeconfig?: string | undefined;
  labMetrics?: string | undefined;
  signal: AbortSignal;
  /** print the result on stdout (table or json) */
  print: boolean;
}

/** verify a run: engine, progress, files in --out-dir, the exit code. Shared by tune verify and perf run --verify-tuning. */
export async function runVerify(ctx: CliContext, input: RunVerifyInput): Promise<number> {
  const { flags, run } = input;
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { name, namespace } = configMapFlags(
    flags.name ?? 'vitistack-performance-config',
    ctx.globals.namespace ?? 'vitistack-system',
  );
  const minImprovement = numberFlag('--min-improvement', flags.minImprovement?.replace(/%$/, ''), 0);
  if (minImprovement !== undefined && minImprovement >= 100)
    throw usageError('--min-improvement must be below 100 (a percentage of the p99 time to ready)');
  const strategy = flags.strategy ?? 'balanced';
  if (strategy !== 'balanced' && strategy !== 'strict')
    throw usageError('--strategy must be balanced or strict');
  const rounds = intFlag('--rounds', flags.rounds, 1) ?? 1;
  if (rounds > MAX_ROUNDS)
    throw usageError(
      `--rounds ${rounds} is more than ${MAX_ROUNDS}`,
      'each round runs the load twice; 3 is usually enough',
    );
  if (rounds > 1 && flags.rebaseline === false)
    throw usageError('--rounds needs the baseline re-measured', 'drop --no-rebaseline');
  const timeoutMs = durationFlag('--timeout', flags.timeout);
  const kubeconfig = input.kubeconfig ?? ctx.globals.kubeconfig;
  const spec = metricsSpec(flags, run, input.labMetrics);
  let targets: Target[] | undefined;
  if (spec) {
    const { resolveTargets } = await import('../../observe/target.js');
    targets = await resolveTargets(spec, {
      namespace,
      onWarning: (message) => ctx.warn(message),
      connect: async () => {
        const { connect } = await import('../../kube/connect.js');
        return connect({ kubeconfig, context: ctx.globals.context, env: ctx.io.env });
      },
    });
  }
  // the re-run is observed as the run was: at its interval, the API server (and etcd) too when it was
  const intervalMs = run.observe ? Math.max(250, Math.round(run.observe.intervalSeconds * 1000)) : 1000;
  const { apiserverObserve } = await import('../../observe/apiserver/options.js');
  // etcd by the URL the run recorded, unless its credentials were redacted from it there
  const etcdUrl = run.apiserver?.etcdTarget ?? undefined;
  const apiserverMetrics = run.apiserver
    ? await apiserverObserve({
        enabled: true,
        etcdUrl: etcdUrl && /^https?:\/\//.test(etcdUrl) && !etcdUrl.includes(REDACTED) ? etcdUrl : undefined,
        intervalMs,
        onWarning: (message) => ctx.warn(message),
      })
    : undefined;
  const { makeProgress } = await import('../progress.js');
  const progress = await makeProgress(ctx);
  const { verifyTuning } = await import('../../tune/verify/engine.js');
  let output: Awaited<ReturnType<typeof verifyTuning>>;
  try {
    const options: VerifyOptions = {
      run,
      tune: {
        strategy,
        maxWorkers: intFlag('--max-workers', flags.maxWorkers, 1) ?? 64,
        controller: flags.controller,
      },
      namespace,
      name,
      kubeconfig,
      context: ctx.globals.context,
      env: ctx.io.env,
      settle: settleMode(flags, namespace, targets?.[0]),
      metrics: targets ? { targets, intervalMs } : undefined,
      apiserverMetrics,
      minImprovementPct: minImprovement,
      rebaseline: flags.rebaseline !== false,
      rounds,
      timeoutMs,
      signal: input.signal,
      onEvent: (event) => {
        if (event.type === 'progress') return progress.update(event.progress);
        if (event.type === 'phase') return progress.phase(event.name);
        if (event.type === 'warning') return ctx.warn(event.message);
        const line = describe(event, ctx);
        if (line !== undefined) ctx.info(line);
      },
    };
    output = await verifyTuning(options);
  } finally {
    progress.stop();
    await Promise.all((targets ?? []).map((target) => target.close()));
  }
  const { result, after, baseline, laterRounds } = output;
  const outDir = flags.outDir ?? 'vitictl-verify';
  const { writeVerifyFiles } = await import('../../tune/verify/files.js');
  const files = await writeVerifyFiles(outDir, result, { recorded: run, baseline, after, laterRounds });
  if (input.print) {
    if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const { renderVerify } = await import('../../render/verify-views.js');
      ctx.io.stdout.write(renderVerify(result, ctx.style));
    }
  }
  ctx.info(`wrote ${files.join(', ')}`);
  switch (result.decision.verdict) {
    case 'kept':
      return 0;
    case 'interrupted':
      return interruptExitCode(input.signal);
    default:
      return 3;
  }
}

/** --lab: the lab (started when it is not running), its kubeconfig and its operator's metrics. */
export async function verifyTarget(
  ctx: CliContext,
  lab: boolean | undefined,
  signal: AbortSignal,
): Promise<{ kubeconfig?: string | undefined; labMetrics?: string | undefined }> {
  if (!lab) return {};
  const { labUp } = await import('../../lab/lab.js');
  const up = await labUp({ env: ctx.io.env, signal }, (line) => ctx.info(`lab: ${line}`));
  return {
    kubeconfig: up.state.kubeconfig,
    labMetrics: `http://127.0.0.1:${up.state.ports.metrics}/metrics`,
  };
}

async function verifyCommand(ctx: CliContext, flags: VerifyFlags) {
  if (!flags.from)
    throw usageError(
      '--from run.json is required',
      'record a run with vitictl apply … --metrics TARGET --out run.json, or vitictl perf run',
    );
  const run = await readRunResult(flags.from);
  const signal = ctx.io.interrupt(() => {
    ctx.io.stderr.write(
      '\ninterrupted twice: stopped at once; the ConfigMap may still hold the recommendation and the re-run’s objects may remain (vitictl cleanup --run-id …)\n',
    );
  });
  signal.addEventListener(
    'abort',
    () => ctx.info(`\ninterrupt: stopping, restoring the previous ConfigMap ${againToQuit(signal)}`),
    { once: true },
  );
  const { kubeconfig, labMetrics } = await verifyTarget(ctx, flags.lab, signal);
  return runVerify(ctx, { run, flags, kubeconfig, labMetrics, signal, print: true });
}

export function registerTuneVerify(tune: Command, runner: Runner): void {
  const command = tune
    .command('verify')
    .description(
      'apply the recommendation, re-run the same load, compare with the prediction; keep the new ConfigMap when it is better, else restore the previous one exactly',
    )
    .option(
      '--from <run.json>',
      'the RunResult to tune from and whose load is re-run (apply --out, perf run)',
    )
    .option('--name <name>', 'ConfigMap name', 'vitistack-performance-config')
    .option('--lab', "the local lab: its kubeconfig and its operator's metrics")
    .option('--timeout <duration>', "per-object readiness timeout of the re-run (default: the scenario's)")
    .option('--strategy <strategy>', 'balanced (β = 1) or strict (β = 2, more headroom)', 'balanced')
    .option('--max-workers <n>', 'never recommend more workers than this', '64')
    .option('--controller <name>', 'the controller to tune (default: the busiest)')
    .option(
      '--metrics <target>',
      "where the controller's vitistack_config_generation is read, and what is scraped during the re-run (default: the run's metrics target; the lab's operator with --lab)",
    )
    .option(
      '--restart <deployment/NAME>',
      'make the controller take a config by restarting this deployment (in -n), and wait for the rollout',
    )
    .option(
      '--settle <duration>',
      'just wait this long for the controller to take a config (controllers that report nothing)',
    )
    .option(
      '--settle-timeout <duration>',
      'how long to wait for the controller to take the config (metric: 2m, restart: 5m)',
    )
    .option(
      '--min-improvement <percent>',
      'keep only when p99 time to ready improves at least this much, beyond the noise (default 5; given, it is asked even of a recommendation that raises no workers, QPS or burst)',
    )
    .option(
      '--rounds <n>',
      'alternate baseline and recommendation this many times (the ConfigMap switched between them): drift weighs on both, and the baselines measure the noise',
      '1',
    )
    .option(
      '--no-rebaseline',
      'compare with the recorded run instead of first re-running the same load with the live config (faster; blind to how the cluster changed since the run)',
    )
    .option(
      '--out-dir <dir>',
      'write verify.json, report.md, report.html, baseline.json and after.json here',
      'vitictl-verify',
    );
  command
    .addHelpText(
      'after',
      `${examples(
        'vitictl apply machines --count 300 --qps 20 --metrics http://127.0.0.1:8080/metrics --out run.json',
        'vitictl tune verify --from run.json --out-dir verify/          # metric: waits for vitistack_config_generation',
        'vitictl tune verify --from run.json --lab',
        'vitictl tune verify --from run.json --restart deployment/vitistack-operator -n vitistack-system',
        'vitictl tune verify --from run.json --settle 30s --min-improvement 20',
        'vitictl tune verify --from run.json --no-rebaseline                # compare with the recorded run: one run fewer',
        'vitictl tune verify --from run.json --rounds 3                     # a noisy cluster: three rounds, judged on the median',
      )}
First the same load runs again with the live config (the baseline; --no-rebaseline skips it), then
with the recommended one; --rounds N alternates the two N times. The margin is the larger of
--min-improvement and the run-to-run noise (how far apart the same config's p99s were: the rounds'
baselines, or the recorded run and its baseline). Kept means: p99 time to ready improved in every
round, beyond the noise (the two runs' 95% intervals of the p99 do not overlap), by at least the
margin in the median, with no more failed or timed-out objects than before; when the recommendation
raises no workers, QPS or burst (the API server has no room, or they are not the bottleneck), the
median not worse by more than the margin, unless --min-improvement was given.
Otherwise the previous ConfigMap is restored exactly (deleted when there was none).
Exit codes: 0 kept · 3 rolled back · 1 error (the ConfigMap restored) · 2 bad input · 130/143 interrupted (restored).
`,
    )
    .action(
      bind(runner, (ctx, flags: VerifyFlags) => {
        // commander hands the parent `tune` its options wherever they stand: those that are only
        // `tune`'s would be ignored here, silently
        for (const option of tune.options) {
          const declaredHere = command.options.some((own) => own.long === option.long);
          if (!declaredHere && tune.getOptionValueSource(option.attributeName()) === 'cli')
            throw usageError(
              `\`vitictl tune verify\` does not take ${option.long}: it is \`vitictl tune\`'s`,
            );
        }
        // and those it also declares
        const { from, name, strategy, maxWorkers, controller } = tune.opts<VerifyFlags>();
        return verifyCommand(ctx, { ...flags, from, name, strategy, maxWorkers, controller });
      }),
    );
}
