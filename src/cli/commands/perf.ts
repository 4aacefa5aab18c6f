import type { Command } from 'commander';
import { inputError, usageError } from '../../errors.js';
import { packageVersion } from '../../util/version.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { durationFlag, intFlag, maxRegressionFlag, outputFormat, shardFromFlags } from '../flags.js';
import { againToQuit, interruptExitCode } from '../io.js';
import { readRunResult, reportMerged } from '../run-files.js';

interface PerfFlags {
  lab?: boolean;
  gates?: string;
  baseline?: string;
  maxRegression?: string;
  outDir?: string;
  count?: string;
  namespaces?: string;
  runId?: string;
  reuseRunId?: boolean;
  shard?: string;
  resultConfigmap?: string;
  apiserverMetrics: boolean;
  etcdMetrics?: string;
  verifyTuning?: boolean;
  minImprovement?: string;
  /** false with --no-rebaseline */
  rebaseline: boolean;
  rounds?: string;
}

async function run(ctx: CliContext, profileName: string | undefined, flags: PerfFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { loadProfile } = await import('../../config/load-profile.js');
  const profile = await loadProfile(profileName ?? 'smoke');
  const { loadGatesFile } = await import('../../config/load-gates.js');
  const extraGates = flags.gates ? await loadGatesFile(flags.gates) : [];
  const baseline = flags.baseline ? await readRunResult(flags.baseline) : undefined;
  const maxRegression = maxRegressionFlag(flags.maxRegression);
  const shard = await shardFromFlags(flags);
  if (flags.verifyTuning && shard)
    throw usageError('--verify-tuning re-runs the whole load in one process: not with --shard');
  if (flags.resultConfigmap !== undefined) {
    // a ConfigMap name prefix and the value of its vitictl.io/result-of label
    const { isDnsLabel } = await import('../../kube/names.js');
    if (!isDnsLabel(flags.resultConfigmap))
      throw usageError(
        `invalid --result-configmap "${flags.resultConfigmap}": use lowercase letters, digits and "-"`,
      );
  }
  // before the load: a directory the reports cannot go to must not cost the run
  const { ensureOutDir } = await import('../../util/out-dir.js');
  await ensureOutDir(flags.outDir ?? 'vitictl-report', '--out-dir');
  const { perfRun } = await import('../../perf/run.js');
  const { renderHtmlReport } = await import('../../render/html-report.js');
  const { makeProgress } = await import('../progress.js');
  const progress = await makeProgress(ctx);
  const { newRunId } = await import('../../report/run-id.js');
  const runId = flags.runId ?? newRunId();
  const signal = ctx.io.interrupt(() => {
    progress.stop();
    ctx.io.stderr.write(
      `\ninterrupted twice: stopped without cleanup; remove what was created with: vitictl cleanup --run-id ${runId}${profile.spec.stress ? ` (stress steps: --run-id ${runId}-s0, -s1, …)` : ''}\n`,
    );
  });
  signal.addEventListener(
    'abort',
    () => ctx.info(`\ninterrupt: stopping, cleaning up, writing the partial report ${againToQuit(signal)}`),
    { once: true },
  );
  let output: Awaited<ReturnType<typeof perfRun>>;
  try {
    output = await perfRun({
      profile,
      lab: flags.lab === true,
      kubeconfig: ctx.globals.kubeconfig,
      context: ctx.globals.context,
      extraGates,
      apiserverMetrics: flags.apiserverMetrics,
      etcdMetrics: flags.etcdMetrics,
      baseline,
      maxRegression,
      outDir: flags.outDir ?? 'vitictl-report',
      count: intFlag('--count', flags.count, 1),
      namespaces: intFlag('--namespaces', flags.namespaces, 1),
      runId,
      reuseRunId: flags.reuseRunId === true,
      shard,
      resultConfigMap:
        flags.resultConfigmap === undefined
          ? undefined
          : { name: flags.resultConfigmap, namespace: ctx.globals.namespace },
      signal,
      env: ctx.io.env,
      onPhase: (phase) => progress.phase(phase),
      onProgress: (p) => progress.update(p),
      onInfo: (message) => ctx.info(message),
      onWarning: (message) => ctx.warn(message),
      renderHtml: (result, base) => renderHtmlReport(result, base ? { baseline: base } : {}),
    });
  } finally {
    progress.stop();
  }
  const { unansweredTargets } = await import('../../render/observe-warnings.js');
  for (const line of unansweredTargets(output.result)) ctx.warn(line);
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(output.result, null, 2)}\n`);
  else {
    const { renderPerf } = await import('../../render/perf-views.js');
    ctx.io.stdout.write(renderPerf(output.result, output.files, ctx.style));
  }
  if (output.result.interrupted) return interruptExitCode(signal);
  if (signal.aborted) {
    // the signal came after the load (while tuning or writing the report): the results are whole,
    // but a stop asked for is never a plain success
    ctx.warn(
      'interrupted after the load had finished: the results above are whole; nothing else was started',
    );
    return interruptExitCode(signal);
  }
  if (flags.verifyTuning) {
    const verified = await verifyAfterPerf(ctx, output.result, flags, signal);
    if (verified !== 0 && verified !== 3) return verified;
    return output.passed && verified === 0 ? 0 : 3;
  }
  if (shard) {
    // a shard's own gates judge only its part: the run passes or fails when the shards are merged
    ctx.info('shard done: gates are judged on the merged run (vitictl report merge, vitictl perf collect)');
    return 0;
  }
  return output.passed ? 0 : 3;
}

/** perf run --verify-tuning: verify the recommendation with the run just made (its load, its metrics target). */
async function verifyAfterPerf(
  ctx: CliContext,
  result: import('../../report/run-result.js').RunResult,
  flags: PerfFlags,
  signal: AbortSignal,
): Promise<number> {
  const { runVerify, verifyTarget } = await import('./tune-verify.js');
  const { kubeconfig, labMetrics } = await verifyTarget(ctx, flags.lab, signal);
  ctx.info('verifying the tuning recommendation: apply, re-run the same load, keep or restore');
  const { join } = await import('node:path');
  return runVerify(ctx, {
    run: result,
    flags: {
      outDir: join(flags.outDir ?? 'vitictl-report', 'verify'),
      ...(flags.minImprovement === undefined ? {} : { minImprovement: flags.minImprovement }),
      rebaseline: flags.rebaseline,
      ...(flags.rounds === undefined ? {} : { rounds: flags.rounds }),
    },
    kubeconfig,
    labMetrics,
    signal,
    print: true,
  });
}

interface JobFlags {
  shards?: string;
  image?: string;
  name?: string;
  runId?: string;
  count?: string;
  namespaces?: string;
  out?: string;
}

async function job(ctx: CliContext, profileName: string | undefined, flags: JobFlags) {
  const format = outputFormat(ctx, ['yaml', 'json'] as const, 'yaml');
  const shards = intFlag('--shards', flags.shards, 1);
  if (shards === undefined)
    throw usageError('--shards N is required', 'e.g. vitictl perf job load --shards 3');
  const { loadProfile } = await import('../../config/load-profile.js');
  const { newRunId } = await import('../../report/run-id.js');
  const { prepareScenario } = await import('../../scenario/prepare.js');
  const { jobManifests } = await import('../../perf/job.js');
  const profile = await loadProfile(profileName ?? 'load');
  const runId = flags.runId ?? newRunId();
  const name = flags.name ?? `vitictl-${runId}`.slice(0, 52).replace(/[^a-z0-9]+$/, '');
  const { isDnsLabel } = await import('../../kube/names.js');
  if (!isDnsLabel(name, 52))
    throw usageError(`invalid --name "${name}": lowercase letters, digits and "-", at most 52 characters`);
  const count = intFlag('--count', flags.count, 1);
  const namespaces = intFlag('--namespaces', flags.namespaces, 1);
  const { plan } = await prepareScenario({
    scenario: profile.scenario,
    crdFiles: [],
    count: count ?? profile.spec.count,
    namespaces,
    runId,
  });
  const manifests = await jobManifests({
    name,
    namespace: ctx.globals.namespace ?? 'default',
    shards,
    image: flags.image ?? `vitictl:${packageVersion()}`,
    runId,
    profile,
    plan,
    count,
    namespaces,
  });
  const { manifestChunks } = await import('../../render/manifest-stream.js');
  const chunks = manifestChunks(manifests, format);
  if (flags.out) {
    const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
    await writeFileAtomically(flags.out, (stream) => writeChunks(stream, chunks));
    ctx.info(`wrote ${manifests.length} manifests to ${flags.out}`);
  } else for (const chunk of chunks) ctx.io.stdout.write(chunk);
  ctx.info(
    `then: kubectl apply -f …; kubectl wait --for=condition=complete job/${name} -n ${ctx.globals.namespace ?? 'default'} --timeout=1h; vitictl perf collect ${name} -n ${ctx.globals.namespace ?? 'default'}`,
  );
  return 0;
}

interface CollectFlags {
  wait?: string;
  outDir?: string;
  baseline?: string;
  maxRegression?: string;
}

async function collectShards(ctx: CliContext, name: string, flags: CollectFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const waitMs = durationFlag('--wait', flags.wait) ?? 0;
  const baseline = flags.baseline ? await readRunResult(flags.baseline) : undefined;
  const maxRegression = maxRegressionFlag(flags.maxRegression);
  const { readPublished } = await import('../../perf/publish.js');
  const target = {
    name,
    kubeconfig: ctx.globals.kubeconfig,
    context: ctx.globals.context,
    namespace: ctx.globals.namespace,
    env: ctx.io.env,
  };
  const deadline = performance.now() + waitMs;
  let found = await readPublished(target);
  const complete = () => found.length > 0 && found.length >= (found[0]!.result.shard?.count ?? 1);
  while (!complete() && performance.now() < deadline) {
    ctx.info(`waiting for shard results: ${found.length} of ${found[0]?.result.shard?.count ?? '?'} stored`);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(5000, Math.max(0, deadline - performance.now()))),
    );
    found = await readPublished(target);
  }
  if (found.length === 0)
    throw inputError(`no results stored under ${name}`, {
      hint: `the shards write ConfigMaps labelled vitictl.io/result-of=${name} in their namespace (-n); wait with --wait 10m`,
    });
  const { mergeAndJudge } = await import('../../perf/merge-run.js');
  const merged = mergeAndJudge(found, baseline, maxRegression);
  for (const warning of merged.warnings) ctx.warn(warning);
  return reportMerged(ctx, format, merged.result, flags.outDir ?? 'vitictl-report', baseline);
}

export function registerPerf(program: Command, runner: Runner): void {
  const perf = program
    .command('perf')
    .description('the main job: run a profile (load, observe, tune, gates, reports) and pass or fail');
  perf
    .command('run')
    .argument('[profile]', 'smoke, load, stress, soak, or a profile file', 'smoke')
    .description(
      'run a profile: preflight → observers → load → tune → gates → cleanup → reports; exit 3 when a gate fails',
    )
    .option(
      '--lab',
      'run against the local lab (started when it is not running); otherwise the current kubeconfig context',
    )
    .option('--gates <file>', 'more gates (a YAML list), e.g. - ready.p99 < 30s')
    .option(
      '--baseline <run.json>',
      'fail when a key metric regresses beyond --max-regression plus the measured run-to-run noise',
    )
    .option('--max-regression <pct>', 'allowed regression against the baseline', '10%')
    .option('--count <n>', "objects (overrides the profile's count)")
    .option('--out-dir <dir>', 'where run.json, report.md, junit.xml and report.html go', 'vitictl-report')
    .option('--namespaces <n>', "spread namespaced objects over N namespaces (overrides the scenario's)")
    .option('--run-id <id>', 'run id for the vitictl.io/run-id label (default: generated; shards share one)')
    .option('--reuse-run-id', 'objects may already carry --run-id (this run’s cleanup deletes them too)')
    .option(
      '--shard <i/N>',
      'run shard i of N (0-based) of the run: exit 0 when it ran, gates are judged by report merge; needs --run-id',
    )
    .option(
      '--result-configmap <name>',
      'also store the RunResult in ConfigMap <name>-<shard> in -n (for vitictl perf collect)',
    )
    .option(
      '--no-apiserver-metrics',
      "do not scrape the API server's /metrics (scraped by default with the kubeconfig's credentials)",
    )
    .option('--etcd-metrics <url>', "also scrape etcd's metrics (with --lab: the lab's etcd, unless given)")
    .option(
      '--verify-tuning',
      'then verify the recommendation (vitictl tune verify with this run): apply, re-run, keep or restore; files in OUT-DIR/verify',
    )
    .option(
      '--min-improvement <percent>',
      'with --verify-tuning: keep the config only when p99 time to ready improves this much, beyond the noise (default 5)',
    )
    .option(
      '--no-rebaseline',
      'with --verify-tuning: compare with this run instead of first re-running its load with the live config',
    )
    .option(
      '--rounds <n>',
      'with --verify-tuning: alternate baseline and recommendation this many times (default 1)',
    )
    .addHelpText(
      'after',
      `${examples(
        'vitictl perf run smoke --lab',
        'vitictl perf run load --baseline main-run.json --out-dir reports/',
        'vitictl perf run profiles/stress.yaml --lab -o json',
        'vitictl perf run my-profile.yaml --gates gates.yaml --kubeconfig ~/.kube/staging',
        'vitictl perf run load --run-id big-1 --shard 0/3 --out-dir shard-0/',
        'vitictl perf run smoke --lab --verify-tuning       # then apply the recommendation, re-run, keep or restore',
      )}
Exit codes: 0 every gate passed · 3 a gate failed (the report says which and by how much), or
--verify-tuning rolled the recommendation back · 1 runtime error · 2 bad input · 130 interrupted, 143 on SIGTERM (partial report written, objects cleaned up).
With $GITHUB_STEP_SUMMARY set, report.md is appended to it.
`,
    )
    .action(bind(runner, run));
  perf
    .command('job')
    .argument('[profile]', 'load, soak, or a profile file (it travels in a ConfigMap)', 'load')
    .description('emit the manifests that run a profile as N shards in the cluster (an Indexed Job)')
    .option('--shards <n>', 'how many load generators (pods)')
    .option(
      '--image <image>',
      'the vitictl image (build it from the Dockerfile)',
      `vitictl:${packageVersion()}`,
    )
    .option(
      '--name <name>',
      'name of the Job, its ServiceAccount, RBAC and result ConfigMaps (default vitictl-<run id>)',
    )
    .option('--run-id <id>', 'the run id every shard uses (default: generated)')
    .option('--count <n>', "objects for the whole run (overrides the profile's count)")
    .option(
      '--namespaces <n>',
      'namespaces for the whole run (at least --shards: shards own whole namespaces)',
    )
    .option('--out <file>', 'write the manifests here (atomically) instead of stdout')
    .addHelpText(
      'after',
      `${examples(
        'vitictl perf job load --shards 3 --image registry.example/vitictl:0.1.0 -n perf > job.yaml',
        'kubectl apply -f job.yaml && kubectl wait --for=condition=complete job/<name> -n perf --timeout=1h',
        'vitictl perf collect <name> -n perf --out-dir merged/',
      )}
Emits: a ServiceAccount; a ClusterRole with create/get/list/watch/delete on exactly the scenario's kinds
(and namespaces when it creates them); a Role to create the shards' result ConfigMaps; an Indexed Job
(parallelism N, the completion index is --shard, no retries: a retried shard would collide with what its
failed attempt created). A profile file travels in a ConfigMap; built-in profiles are in the image.
Check them with kubectl apply --dry-run=server -f job.yaml.
`,
    )
    .action(bind(runner, job));
  perf
    .command('collect')
    .argument('<name>', 'the job name given to (or printed by) vitictl perf job')
    .description(
      "gather the shards' results from their ConfigMaps, merge them, judge the gates, write the reports",
    )
    .option(
      '--wait <duration>',
      'wait up to this long for every shard to store its result (default: no wait)',
    )
    .option('--out-dir <dir>', 'where run.json, report.md, junit.xml and report.html go', 'vitictl-report')
    .option('--baseline <run.json>', 'judge the merged run against a baseline')
    .option('--max-regression <pct>', 'allowed regression beyond the measured noise, with --baseline', '10%')
    .addHelpText(
      'after',
      `${examples('vitictl perf collect vitictl-20261126-101500-3fa9 -n perf', 'vitictl perf collect big-run -n perf --wait 30m -o json')}
Exit codes: 0 every gate passed on the merged run · 3 a gate failed · 2 a shard is missing or does not
belong (named) · 1 runtime error. Remove the results with kubectl delete configmap -l vitictl.io/result-of=<name>.
`,
    )
    .action(bind(runner, collectShards));
}
