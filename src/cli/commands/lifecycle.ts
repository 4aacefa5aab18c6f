import type { Command } from 'commander';
import { z } from 'zod';
import { inputError, usageError } from '../../errors.js';
import type { PatchTemplate } from '../../load/phases/run-phase.js';
import { defaultBurst } from '../../load/rate-limiter.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { durationFlag, numberFlag, outputFormat } from '../flags.js';
import { interruptExitCode } from '../io.js';

interface PhaseFlags {
  set?: string;
  share?: string;
  patch?: string;
  patchType: string;
  qps: string;
  burst?: string;
  timeout: string;
  observedGeneration: string;
}

/** "30%" or "0.3" → 0.3; anything else is exit 2. */
export function shareFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  const percent = value.trim().endsWith('%');
  const n = Number(percent ? value.trim().slice(0, -1) : value);
  const share = percent ? n / 100 : n;
  if (!(share > 0 && share <= 1))
    throw usageError(
      `invalid --share "${value}"`,
      "a share of the run's objects: 30% or 0.3 (more than 0, at most 100%)",
    );
  return share;
}

const patchBodySchema = z.record(z.string(), z.unknown());

async function loadPatch(file: string, type: string): Promise<PatchTemplate> {
  if (type !== 'merge' && type !== 'apply')
    throw usageError(
      `invalid --patch-type "${type}"`,
      'merge (JSON merge patch) or apply (server-side apply)',
    );
  const { parseYamlSource, readTextFile } = await import('../../config/yaml-source.js');
  const source = parseYamlSource(file, await readTextFile(file, 'patch file'));
  const parsed = patchBodySchema.safeParse(source.value);
  if (!parsed.success || Object.keys(parsed.data).length === 0)
    throw inputError('the patch is not a non-empty object', {
      location: source.locate([]),
      hint: 'e.g. {spec: {memory: 2048}}: the fields to change, as in kubectl patch --type merge',
    });
  if ('metadata' in parsed.data && type === 'apply')
    throw inputError("a server-side apply patch names no metadata: vitictl fills in each object's", {
      location: source.locate(['metadata'], 'key'),
      hint: 'leave metadata out, or use --patch-type merge',
    });
  return { type, body: parsed.data };
}

async function runVerb(
  ctx: CliContext,
  verb: 'update' | 'delete',
  runId: string,
  scenario: string,
  flags: PhaseFlags,
) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { labelValueProblem } = await import('../../scenario/validate-object.js');
  const problem = labelValueProblem(runId);
  if (problem) throw usageError(`invalid run id: ${problem}`);
  const share = shareFlag(flags.share);
  const rate = numberFlag('--qps', flags.qps, 0.001) ?? 10;
  const burst = numberFlag('--burst', flags.burst, 1) ?? defaultBurst(rate);
  const timeoutMs = durationFlag('--timeout', flags.timeout) ?? 120_000;
  if (verb === 'update' && !flags.patch)
    throw usageError('--patch FILE is required', 'the change to make, e.g. {spec: {memory: 2048}}');
  const patch = flags.patch ? await loadPatch(flags.patch, flags.patchType) : undefined;
  const { parseFieldPath } = await import('../../util/field-path.js');
  let observedGenerationPath: import('../../util/field-path.js').FieldPath;
  try {
    observedGenerationPath = parseFieldPath(flags.observedGeneration);
  } catch (error) {
    throw usageError(`invalid --observed-generation: ${(error as Error).message}`);
  }
  const { loadScenario } = await import('../../config/load-scenario.js');
  const loaded = await loadScenario(scenario);
  const sets = loaded.spec.spec.objects.filter((set) => set.ready && (!flags.set || set.name === flags.set));
  if (sets.length !== 1)
    throw usageError(
      sets.length === 0
        ? `no set${flags.set ? ` named "${flags.set}"` : ''} with a readiness rule in scenario ${scenario}`
        : `scenario ${scenario} has ${sets.length} sets with readiness rules`,
      `name one with --set (${loaded.spec.spec.objects.map((set) => set.name).join(', ')})`,
    );
  const set = sets[0]!;
  const { connect } = await import('../../kube/connect.js');
  const { KubeRest } = await import('../../kube/rest.js');
  const { discoverKinds } = await import('../../kube/discovery.js');
  const { compileReadiness } = await import('../../kube/readiness.js');
  const { runPhase } = await import('../../load/phases/run-phase.js');
  const connection = await connect({
    kubeconfig: ctx.globals.kubeconfig,
    context: ctx.globals.context,
    env: ctx.io.env,
  });
  const rest = await KubeRest.create(connection, { connections: 64 });
  const signal = ctx.io.interrupt(() => ctx.io.stderr.write('\ninterrupted twice: stopped at once\n'));
  signal.addEventListener(
    'abort',
    () => ctx.info(`\ninterrupt: stopping ${verb}s, accounting what was sent`),
    {
      once: true,
    },
  );
  let load: PhaseLoad;
  try {
    const found = await discoverKinds(rest, [{ apiVersion: set.apiVersion, kind: set.kind }]);
    const resource = found.get(`${set.apiVersion}/${set.kind}`)!;
    load = await runPhase({
      rest,
      runId,
      verb,
      resource,
      check: compileReadiness(set.ready!),
      observedGenerationPath,
      ...(patch ? { patch } : {}),
      share,
      rate,
      burst,
      timeoutMs,
      signal,
    });
  } finally {
    await rest.close();
  }
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(load, null, 2)}\n`);
  else {
    const { renderPhaseLoadText } = await import('../../render/phase-load-text.js');
    ctx.io.stdout.write(renderPhaseLoadText(load));
  }
  if (signal.aborted) return interruptExitCode(signal);
  return load.counts.failed + load.counts.timedOut > 0 ? 1 : 0;
}

function phaseCommand(program: Command, runner: Runner, verb: 'update' | 'delete') {
  const command = program
    .command(verb)
    .argument('<run-id>', 'the run whose objects to touch (vitictl.io/run-id; apply --keep left them)')
    .argument(
      '<scenario>',
      'the scenario the run applied (file or built-in name): the kind and its readiness rule',
    )
    .option('--set <name>', 'the set of the scenario to touch, when several have readiness rules')
    .option('--qps <q>', `open loop: ${verb}s per second on an even schedule`, '10')
    .option('--burst <b>', 'at most B requests at once after a stall (default: rate/10)')
    .option('--timeout <duration>', 'per object, from the answer to the request', '2m');
  if (verb === 'update')
    command
      .description(
        "patch a share of a run's objects at a rate and time each until the controller has reconciled the new generation and it is ready again",
      )
      .option('--share <share>', "the share of the run's objects to patch (30% or 0.3)", '100%')
      .option('--patch <file>', 'the change, YAML or JSON (e.g. {spec: {memory: 2048}})')
      .option('--patch-type <type>', 'merge (JSON merge patch) or apply (server-side apply)', 'merge')
      .option(
        '--observed-generation <path>',
        'where the controller reports the generation it reconciled',
        '.status.observedGeneration',
      );
  else
    command
      .description(
        "delete a run's objects (only those labelled with its run id) at a rate and time each until it is gone",
      )
      .option('--share <share>', "the share of the run's objects to delete (30% or 0.3)", '100%');
  command
    .addHelpText(
      'after',
      `${examples(
        ...(verb === 'update'
          ? [
              'vitictl apply machines --count 200 --keep --run-id demo-1',
              'vitictl update demo-1 machines --share 30% --patch memory.yaml --qps 20',
              'vitictl update demo-1 machines --patch memory.yaml --observed-generation ".metadata.annotations[\'lab.vitictl.io/observed-generation\']" -o json',
            ]
          : [
              'vitictl delete demo-1 machines --qps 50',
              'vitictl delete demo-1 machines --share 10% --timeout 30s -o json',
            ]),
      )}
Every object sent ends as ready (${verb === 'update' ? 'reconciled and ready again' : 'gone'}), failed (with the reason), timed out or interrupted; the counts add up.
Exit 0 when all finished, 1 when any failed or timed out, 2 for bad input, 130/143 on Ctrl-C/SIGTERM (the partial result is printed).
`,
    )
    .action(
      bind(runner, async (ctx, runId: string, scenario: string, flags: PhaseFlags) =>
        runVerb(ctx, verb, runId, scenario, {
          ...flags,
          observedGeneration: flags.observedGeneration ?? '.status.observedGeneration',
          patchType: flags.patchType ?? 'merge',
        }),
      ),
    );
}

export function registerLifecycle(program: Command, runner: Runner): void {
  phaseCommand(program, runner, 'update');
  phaseCommand(program, runner, 'delete');
}
