import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { configMapFlags, durationFlag, intFlag, numberFlag, outputFileFlag, outputFormat } from '../flags.js';
import { readRunResult } from '../run-files.js';
import { registerTuneVerify } from './tune-verify.js';

interface TuneFlags {
  from?: string;
  current?: string;
  name?: string;
  strategy?: string;
  peakRate?: string;
  targetP99Ready?: string;
  maxWorkers?: string;
  controller?: string;
  objects?: string;
  out?: string;
  apply?: boolean;
  dryRun?: string;
}

async function tuneCommand(ctx: CliContext, flags: TuneFlags) {
  const format = outputFormat(ctx, ['yaml', 'json', 'table'] as const, 'yaml');
  if (!flags.from)
    throw usageError(
      '--from run.json is required',
      'record a run with vitictl apply … --metrics TARGET --out run.json',
    );
  const strategy = flags.strategy ?? 'balanced';
  if (strategy !== 'balanced' && strategy !== 'strict')
    throw usageError('--strategy must be balanced or strict');
  if (flags.dryRun !== undefined && flags.dryRun !== 'server')
    throw usageError('--dry-run takes "server" (the API server validates and stores nothing)');
  if (flags.dryRun !== undefined && !flags.apply)
    throw usageError('--dry-run is for --apply: without it nothing is sent to the API server');
  // every flag is checked before the run is read or the cluster is asked anything
  const peakRate = numberFlag('--peak-rate', flags.peakRate, 0.001);
  const targetP99ReadyMs = durationFlag('--target-p99-ready', flags.targetP99Ready);
  const maxWorkers = intFlag('--max-workers', flags.maxWorkers, 1) ?? 64;
  const objectsFlag = intFlag('--objects', flags.objects, 1);
  const out = outputFileFlag('--out', flags.out);
  const { name, namespace } = configMapFlags(
    flags.name ?? 'vitistack-performance-config',
    ctx.globals.namespace ?? 'vitistack-system',
  );
  const run = await readRunResult(flags.from);
  const { pickSignals } = await import('../../tune/run-model.js');
  // a controller the run does not have is bad input whatever the cluster says
  pickSignals(run, flags.controller);
  const { parsePerformanceYaml } = await import('../../tune/performance-config.js');
  let current: ReturnType<typeof parsePerformanceYaml> | undefined;
  let currentSource = 'unknown (controller-runtime defaults assumed: 1 worker, no client QPS limit)';
  let rest: import('../../kube/rest.js').KubeRest | undefined;
  const connectRest = async () => {
    const { connect } = await import('../../kube/connect.js');
    const { KubeRest } = await import('../../kube/rest.js');
    rest ??= await KubeRest.create(
      await connect({ kubeconfig: ctx.globals.kubeconfig, context: ctx.globals.context, env: ctx.io.env }),
      { connections: 4 },
    );
    return rest;
  };
  try {
    if (flags.current) {
      const { readPerformanceConfig } = await import('../../lab/performance-file.js');
      current = parsePerformanceYaml(await readPerformanceConfig(flags.current), flags.current);
      currentSource = flags.current;
    } else {
      try {
        const { readLivePerformanceYaml } = await import('../../tune/apply-config.js');
        const live = await readLivePerformanceYaml(await connectRest(), namespace, name);
        if (live !== undefined) {
          current = parsePerformanceYaml(live, `configmap ${namespace}/${name}`);
          currentSource = `live ConfigMap ${namespace}/${name}`;
        }
      } catch (error) {
        if (flags.apply) throw error;
        ctx.warn(
          `could not read the live ConfigMap ${namespace}/${name} (${(error as Error).message.split('\n')[0]}); pass --current FILE`,
        );
      }
    }
    const objects = await objectsToSizeFor(ctx, objectsFlag, run, connectRest);
    const { tune } = await import('../../tune/tune.js');
    const result = tune({
      run,
      current,
      currentSource,
      strategy,
      peakRate,
      targetP99ReadyMs,
      maxWorkers,
      controller: flags.controller,
      objects,
    });
    const { renderConfigMapYaml, configMapObject } = await import('../../tune/configmap.js');
    const { renderTune } = await import('../../render/tune-views.js');
    const yaml = renderConfigMapYaml(result, { name, namespace });
    if (out && !result.refused) {
      const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
      await writeFileAtomically(out, (stream) => writeChunks(stream, [yaml]));
    }
    if (format === 'json')
      ctx.io.stdout.write(
        `${JSON.stringify({ ...result, configMap: configMapObject(result, { name, namespace }) }, null, 2)}\n`,
      );
    else if (format === 'table') ctx.io.stdout.write(renderTune(result, ctx.style));
    else {
      if (!ctx.globals.quiet) ctx.io.stderr.write(renderTune(result, ctx.errStyle));
      if (!result.refused) ctx.io.stdout.write(yaml);
    }
    if (result.refused) return 1;
    if (flags.apply) {
      const { diffLive, serverSideApply } = await import('../../tune/apply-config.js');
      const object = configMapObject(result, { name, namespace });
      const client = await connectRest();
      const diff = await diffLive(client, namespace, name, object.data['performance.yaml']);
      ctx.info(
        diff.exists
          ? `diff against the live ${namespace}/${name}:`
          : `${namespace}/${name} does not exist yet; it will be created`,
      );
      for (const line of diff.removed) ctx.info(ctx.errStyle.red(`- ${line}`));
      for (const line of diff.added) ctx.info(ctx.errStyle.green(`+ ${line}`));
      await serverSideApply(client, object, flags.dryRun === 'server');
      ctx.info(
        flags.dryRun === 'server'
          ? 'server-side apply (dry run): accepted by the API server, nothing stored'
          : `applied ${namespace}/${name} (server-side apply, field manager vitictl)`,
      );
    }
    return 0;
  } finally {
    await rest?.close();
  }
}

/**
 * --objects N; else the live count of the run's kinds when the cluster answers, or the run's own count
 * when that is larger; undefined (the run's count) when the cluster cannot be asked.
 */
async function objectsToSizeFor(
  ctx: CliContext,
  count: number | undefined,
  run: Awaited<ReturnType<typeof readRunResult>>,
  connectRest: () => Promise<import('../../kube/rest.js').KubeRest>,
): Promise<{ count: number; source: 'flag' | 'cluster' | 'run' } | undefined> {
  if (count !== undefined) return { count, source: 'flag' };
  const sets = run.apply?.sets ?? [];
  if (sets.length === 0) return undefined;
  try {
    const { countLiveObjects } = await import('../../tune/live-objects.js');
    const live = await countLiveObjects(await connectRest(), sets);
    const seen = run.apply?.counts.created ?? 0;
    return live > seen ? { count: live, source: 'cluster' } : { count: seen, source: 'run' };
  } catch (error) {
    ctx.warn(
      `could not count the live objects (${(error as Error).message.split('\n')[0]}); sizing for the run's count: pass --objects N`,
    );
    return undefined;
  }
}

export function registerTune(program: Command, runner: Runner): void {
  const tune = program
    .command('tune')
    .description(
      "recommend controller settings from a run's measurements, each with its evidence, and emit the vitistack-performance-config ConfigMap",
    )
    .option(
      '--from <run.json>',
      'the RunResult of a run recorded with --metrics (vitictl apply … --metrics TARGET --out run.json)',
    )
    .option(
      '--current <file>',
      'the current settings (ConfigMap or performance.yaml); default: the live ConfigMap (-n, --name)',
    )
    .option('--name <name>', 'ConfigMap name', 'vitistack-performance-config')
    .option('--strategy <strategy>', 'balanced (β = 1) or strict (β = 2, more headroom)', 'balanced')
    .option('--peak-rate <r>', 'size for this arrival rate (objects/s) instead of the measured one')
    .option(
      '--objects <n>',
      "size memory for N cached objects (default: the live count of the run's kinds, or the run's count when larger)",
    )
    .option('--target-p99-ready <duration>', 'say whether the prediction meets this p99 time-to-ready')
    .option('--max-workers <n>', 'never recommend more workers than this', '64')
    .option('--controller <name>', 'the controller to tune (default: the busiest)')
    .option('--out <file>', 'write the ConfigMap here (atomically)')
    .option(
      '--apply',
      'server-side apply the ConfigMap (field manager vitictl) after showing the diff against the live one',
    )
    .option('--dry-run <mode>', 'with --apply: "server" (the API server validates, stores nothing)')
    .addHelpText(
      'after',
      `${examples(
        'vitictl apply machines --count 2000 --qps 100 --metrics http://127.0.0.1:8080/metrics --out run.json',
        'vitictl tune --from run.json                      # the ConfigMap on stdout, the evidence table on stderr',
        'vitictl tune --from run.json -o table --target-p99-ready 30s',
        'vitictl tune --from run.json --objects 20000 --peak-rate 50 -o json',
        'vitictl tune --from run.json --out tuned.yaml && kubectl apply -f tuned.yaml',
        'vitictl tune --from run.json --apply --dry-run=server -n vitistack-system',
        'vitictl tune verify --from run.json              # apply, re-run the same load, keep or restore',
      )}
-n/--namespace is the ConfigMap's namespace (default vitistack-system). Exit 1 when the run shows a leak
(no recommendation is made on top of one).
`,
    )
    .action(bind(runner, tuneCommand));
  registerTuneVerify(tune, runner);
}
