import type { Command } from 'commander';
import { z } from 'zod';
import { CHURN_MAX_CYCLES, PHASE_MAX_QPS, shareSchema } from '../../config/phase-schema.js';
import { inputError, usageError } from '../../errors.js';
import type { PhaseTimelineRow } from '../../load/phases/phase-tracker.js';
import type { PatchTemplate } from '../../load/phases/run-phase.js';
import { defaultBurst } from '../../load/rate-limiter.js';
import type { PhaseLoad } from '../../report/sections/phase-load.js';
import { READ_KINDS, type ReadKind, type ReadLoad } from '../../report/sections/read-load.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { durationFlag, intFlag, numberFlag, outputFileFlag, outputFormat } from '../flags.js';
import { interruptExitCode } from '../io.js';

type Verb = 'update' | 'delete' | 'churn' | 'read';

interface PhaseFlags {
  set?: string;
  share?: string;
  patch?: string;
  patchType: string;
  qps: string;
  burst?: string;
  timeout: string;
  observedGeneration: string;
  period?: string;
  cycles?: string;
  duration?: string;
  pageSize?: string;
  mix?: string;
  timeline?: string;
}

/** "30%" or "0.3" → 0.3 (as a profile's share:); anything else is exit 2. */
export function shareFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  const parsed = shareSchema.safeParse(value);
  if (!parsed.success)
    throw usageError(
      `invalid --share "${value}"`,
      "a share of the run's objects: 30% or 0.3 (more than 0, at most 100%)",
    );
  return parsed.data;
}

/** "list=1,cachedList=1,get=8" → the read mix; kinds left out weigh 0. */
export function mixFlag(value: string | undefined): Record<ReadKind, number> {
  if (value === undefined) return { list: 1, cachedList: 1, get: 8 };
  const mix: Record<ReadKind, number> = { list: 0, cachedList: 0, get: 0 };
  for (const part of value.split(',')) {
    const [kind, weight] = part.split('=').map((text) => text.trim());
    const n = Number(weight);
    if (!(READ_KINDS as readonly string[]).includes(kind ?? '') || weight === undefined || !(n >= 0))
      throw usageError(`invalid --mix "${value}"`, 'weights per kind, e.g. list=1,cachedList=1,get=8');
    mix[kind as ReadKind] = n;
  }
  if (mix.list + mix.cachedList + mix.get === 0) throw usageError(`--mix "${value}" reads nothing`);
  return mix;
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

async function runVerb(ctx: CliContext, verb: Verb, runId: string, scenario: string, flags: PhaseFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { labelValueProblem } = await import('../../scenario/validate-object.js');
  const problem = labelValueProblem(runId);
  if (problem) throw usageError(`invalid run id: ${problem}`);
  outputFileFlag('--timeline', flags.timeline);
  const share = shareFlag(flags.share);
  const rate = numberFlag('--qps', flags.qps, 0.001) ?? 10;
  // the bounds a profile's phases have
  if (rate > PHASE_MAX_QPS)
    throw usageError(
      `--qps ${rate} is more than ${PHASE_MAX_QPS}`,
      'a phase, here as in a profile, sends at most that many per second',
    );
  const burst = numberFlag('--burst', flags.burst, 1) ?? defaultBurst(rate);
  const timeoutMs = durationFlag('--timeout', flags.timeout) ?? 120_000;
  const periodMs = durationFlag('--period', flags.period) ?? 10_000;
  const cycles = intFlag('--cycles', flags.cycles, 1);
  if (cycles !== undefined && cycles > CHURN_MAX_CYCLES)
    throw usageError(
      `--cycles ${cycles} is more than ${CHURN_MAX_CYCLES}`,
      'for a long churn, give --duration',
    );
  const durationMs = durationFlag('--duration', flags.duration);
  if (cycles !== undefined && durationMs !== undefined)
    throw usageError('--cycles and --duration both set', 'churn for a number of cycles or for a time');
  const pageSize = intFlag('--page-size', flags.pageSize, 1) ?? 500;
  const mix = mixFlag(flags.mix);
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
  const connection = await connect({
    kubeconfig: ctx.globals.kubeconfig,
    context: ctx.globals.context,
    env: ctx.io.env,
  });
  const rest = await KubeRest.create(connection, { connections: 64 });
  const signal = ctx.io.interrupt(() => ctx.io.stderr.write('\ninterrupted twice: stopped at once\n'));
  signal.addEventListener(
    'abort',
    () => ctx.info(`\ninterrupt: stopping ${verb}, accounting what was sent`),
    {
      once: true,
    },
  );
  let measured: { load: PhaseLoad } | { read: ReadLoad };
  const timeline: PhaseTimelineRow[] = [];
  try {
    const found = await discoverKinds(rest, [{ apiVersion: set.apiVersion, kind: set.kind }]);
    const resource = found.get(`${set.apiVersion}/${set.kind}`)!;
    const common = { rest, runId, resource, rate, burst, timeoutMs, signal };
    if (verb === 'read') {
      const { runRead } = await import('../../load/phases/read.js');
      measured = { read: await runRead({ ...common, durationMs: durationMs ?? 30_000, pageSize, mix }) };
    } else {
      const objects = { ...common, check: compileReadiness(set.ready!), observedGenerationPath, share };
      if (verb === 'churn') {
        const { runChurn } = await import('../../load/phases/churn.js');
        measured = { load: await runChurn({ ...objects, periodMs, cycles, durationMs }) };
      } else {
        const { runPhase } = await import('../../load/phases/run-phase.js');
        const { phaseTimelineRow } = await import('../../load/phases/phase-tracker.js');
        measured = {
          load: await runPhase({
            ...objects,
            verb,
            ...(patch ? { patch } : {}),
            ...(flags.timeline ? { onEvent: (event) => timeline.push(phaseTimelineRow(event.object)) } : {}),
          }),
        };
      }
    }
  } finally {
    await rest.close();
  }
  if (flags.timeline) {
    const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
    await writeFileAtomically(flags.timeline, (stream) =>
      writeChunks(
        stream,
        timeline.map((row) => `${JSON.stringify(row)}\n`),
      ),
    );
  }
  const found = 'load' in measured ? measured.load.selected : measured.read.itemsListed;
  if (found === 0)
    ctx.warn(
      `run ${runId} has no ${set.kind} objects (label vitictl.io/run-id=${runId}): nothing to ${verb}`,
    );
  const { lifecycleRow } = await import('../../render/lifecycle-rows.js');
  const { renderLifecycleRowText } = await import('../../render/lifecycle-text.js');
  const body = 'load' in measured ? measured.load : measured.read;
  ctx.io.stdout.write(
    format === 'json'
      ? `${JSON.stringify(body, null, 2)}\n`
      : renderLifecycleRowText(lifecycleRow(verb, measured)),
  );
  if (signal.aborted) return interruptExitCode(signal);
  if ('read' in measured) return measured.read.counts.failed > 0 ? 1 : 0;
  return measured.load.counts.failed + measured.load.counts.timedOut > 0 ? 1 : 0;
}

const DESCRIPTIONS: Record<Verb, string> = {
  update:
    "patch a share of a run's objects at a rate and time each until the controller has reconciled the new generation and it is ready again",
  delete:
    "delete a run's objects (only those labelled with its run id) at a rate and time each until it is gone",
  churn:
    "every period, delete a share of a run's objects, wait until they are gone, create them again as they were created, and time each until ready",
  read: "LIST and GET a run's objects at a rate (paginated LISTs, LISTs from the watch cache, GETs): API-server read pressure beside a controller",
};

const EXAMPLES: Record<Verb, string[]> = {
  update: [
    'vitictl apply machines --count 200 --keep --run-id demo-1',
    'vitictl update demo-1 machines --share 30% --patch memory.yaml --qps 20',
    'vitictl update demo-1 machines --patch memory.yaml --observed-generation ".metadata.annotations[\'lab.vitictl.io/observed-generation\']" -o json',
  ],
  delete: [
    'vitictl delete demo-1 machines --qps 50',
    'vitictl delete demo-1 machines --share 10% --timeout 30s -o json',
  ],
  churn: [
    'vitictl churn demo-1 machines --share 10% --period 10s --cycles 5 --qps 20',
    'vitictl churn demo-1 machines --share 5% --period 30s --duration 10m -o json',
  ],
  read: [
    'vitictl read demo-1 machines --qps 20 --duration 1m',
    'vitictl read demo-1 machines --qps 50 --duration 30s --mix list=1,get=4 --page-size 100 -o json',
  ],
};

const OUTCOME: Record<Verb, string> = {
  update:
    'Every object sent ends as ready (reconciled and ready again), failed (with the reason), timed out or interrupted; the counts add up.',
  delete:
    'Every object sent ends as gone, failed (with the reason), timed out or interrupted; the counts add up.',
  churn:
    'Every object of every cycle ends as ready (gone and back), failed or timed out at the step that stopped it, or interrupted; the counts add up. What churn deletes and creates again carries the run id, so cleanup --run-id removes it.',
  read: 'Every read ends as answered (a GET of an object gone meanwhile counts as answered, apart), failed, or interrupted; the counts add up.',
};

function phaseCommand(program: Command, runner: Runner, verb: Verb) {
  const command = program
    .command(verb)
    .description(DESCRIPTIONS[verb])
    .argument('<run-id>', 'the run whose objects to touch (vitictl.io/run-id; apply --keep left them)')
    .argument(
      '<scenario>',
      'the scenario the run applied (file or built-in name): the kind and its readiness rule',
    )
    .option('--set <name>', 'the set of the scenario to touch, when several have readiness rules')
    .option(
      '--qps <q>',
      `open loop: ${verb === 'read' ? 'reads' : 'requests'} per second on an even schedule`,
      '10',
    )
    .option(
      '--burst <b>',
      'catch up at most B requests after a stall, at most 1.2× the rate in any 100 ms (default: rate/10)',
    )
    .option(
      '--timeout <duration>',
      verb === 'read' ? 'per read' : 'per object, from the answer to the request',
      verb === 'read' ? '30s' : '2m',
    );
  if (verb !== 'read')
    command.option(
      '--share <share>',
      `the share of the run's objects to ${verb}${verb === 'churn' ? ' in each cycle' : ''} (30% or 0.3)`,
      verb === 'churn' ? '10%' : '100%',
    );
  if (verb === 'update')
    command
      .option('--patch <file>', 'the change, YAML or JSON (e.g. {spec: {memory: 2048}})')
      .option('--patch-type <type>', 'merge (JSON merge patch) or apply (server-side apply)', 'merge')
      .option(
        '--observed-generation <path>',
        'where the controller reports the generation it reconciled',
        '.status.observedGeneration',
      );
  if (verb === 'update' || verb === 'delete')
    command.option(
      '--timeline <file>',
      "write every object's timeline as NDJSON (wall-clock ms: sent, answered, done; its state and reason)",
    );
  if (verb === 'churn')
    command
      .option('--period <duration>', 'a cycle starts this often (or as soon as the last one ends)', '10s')
      .option('--cycles <n>', 'how many cycles (default 3)')
      .option('--duration <duration>', 'start cycles until this much time has passed (instead of --cycles)');
  if (verb === 'read')
    command
      .option('--duration <duration>', 'how long to read', '30s')
      .option('--page-size <n>', 'LIST page size (limit/continue)', '500')
      .option(
        '--mix <weights>',
        'relative weights of list, cachedList (resourceVersion=0) and get',
        'list=1,cachedList=1,get=8',
      );
  command
    .addHelpText(
      'after',
      `${examples(...EXAMPLES[verb])}
${OUTCOME[verb]}
Exit 0 when all finished, 1 when any failed${verb === 'read' ? '' : ' or timed out'}, 2 for bad input, 130/143 on Ctrl-C/SIGTERM (the partial result is printed).
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
  for (const verb of ['update', 'delete', 'churn', 'read'] as const) phaseCommand(program, runner, verb);
}
