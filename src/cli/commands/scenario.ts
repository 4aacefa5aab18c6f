import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { collect, intFlag, outputFormat } from '../flags.js';

interface GenerateFlags {
  count?: string;
  namespaces?: string;
  seed?: string;
  runId?: string;
  out?: string;
  crd?: string[];
  fill?: string;
}

function fillFlag(value: string | undefined): 'required' | 'all' | undefined {
  if (value === undefined || value === 'required' || value === 'all') return value;
  throw usageError(`--fill must be "required" or "all" (got "${value}")`);
}

async function prepare(file: string | undefined, flags: GenerateFlags) {
  const { prepareScenario } = await import('../../scenario/prepare.js');
  return prepareScenario({
    scenario: file,
    crdFiles: flags.crd ?? [],
    count: intFlag('--count', flags.count, 0),
    namespaces: intFlag('--namespaces', flags.namespaces, 1),
    seed: intFlag('--seed', flags.seed, 0),
    runId: flags.runId,
    fill: fillFlag(flags.fill),
  });
}

async function generate(ctx: CliContext, file: string | undefined, flags: GenerateFlags) {
  const format = outputFormat(ctx, ['yaml', 'json'] as const, 'yaml');
  const { plan } = await prepare(file, flags);
  const { manifestChunks } = await import('../../render/manifest-stream.js');
  const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
  function* everything() {
    yield* plan.namespaceObjects();
    for (const { object } of plan.objects()) yield object;
  }
  const chunks = manifestChunks(everything(), format);
  if (flags.out) {
    await writeFileAtomically(flags.out, (stream) => writeChunks(stream, chunks));
    ctx.info(
      `wrote ${plan.totalObjects} objects${plan.createNamespaces ? ` and ${plan.namespaces.length} namespaces` : ''} to ${flags.out}`,
    );
  } else {
    await writeChunks(ctx.io.stdout, chunks);
  }
  return 0;
}

async function validate(ctx: CliContext, file: string | undefined, flags: GenerateFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const prepared = await prepare(file, flags);
  const { validatePlan } = await import('../../scenario/validate-scenario.js');
  const result = validatePlan(prepared.plan, prepared.schemaOrigins);
  if (format === 'json') {
    ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { renderValidation } = await import('../../render/scenario-views.js');
    ctx.io.stdout.write(renderValidation(result, ctx.style));
  }
  return result.errors > 0 ? 2 : 0;
}

async function list(ctx: CliContext) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { listBuiltinScenarios } = await import('../../config/load-scenario.js');
  const scenarios = await listBuiltinScenarios();
  if (format === 'json') {
    ctx.io.stdout.write(`${JSON.stringify(scenarios, null, 2)}\n`);
  } else {
    const { renderScenarioList } = await import('../../render/scenario-views.js');
    ctx.io.stdout.write(renderScenarioList(scenarios, ctx.style));
  }
  return 0;
}

function scenarioInputs(command: Command): Command {
  return command
    .option(
      '--crd <file>',
      'CRD manifest(s) to resolve kinds and schemas (repeatable; built-in VitiStack CRDs are always known)',
      collect,
    )
    .option('--count <n>', 'total objects (sets with fixedCount keep theirs; others scale proportionally)')
    .option('--namespaces <n>', 'spread namespaced objects over N namespaces')
    .option('--seed <n>', 'seed for every random choice (default: the scenario seed); same seed, same bytes')
    .option('--run-id <id>', 'run id for names and the vitictl.io/run-id label (default: <scenario>-<seed>)')
    .option('--fill <mode>', 'schema-driven objects: "required" fields only or "all" fields', 'required');
}

export function registerScenario(program: Command, runner: Runner): void {
  const scenario = program
    .command('scenario')
    .description('generate, validate and list load scenarios (objects from templates or CRD schemas)')
    .addHelpText(
      'after',
      examples(
        'vitictl scenario list',
        'vitictl scenario generate machines --count 1000 --seed 7 > machines.yaml',
        'vitictl scenario validate scenarios/mixed.yaml',
        'vitictl scenario generate --crd my-crd.yaml --count 50 -o json',
      ),
    );

  scenarioInputs(
    scenario
      .command('generate')
      .argument('[scenario]', 'scenario file, or the name of a built-in scenario')
      .description('expand a scenario into a manifest stream that `kubectl apply -f` accepts')
      .option('--out <file>', 'write to a file (atomically: complete or not at all) instead of stdout'),
  )
    .addHelpText(
      'after',
      examples(
        'vitictl scenario generate scenarios/machines.yaml --count 1000',
        'vitictl scenario generate mixed --seed 42 --out mixed.yaml',
        'vitictl scenario generate --crd ./crds/widgets.yaml --count 100 --fill all -o json',
        'vitictl scenario generate machines --count 50 | kubectl apply -f -',
      ),
    )
    .action(bind(runner, generate));

  scenarioInputs(
    scenario
      .command('validate')
      .argument('[scenario]', 'scenario file, or the name of a built-in scenario')
      .description(
        "check a scenario and validate every object it generates against the CRDs' openAPIV3Schema",
      ),
  )
    .addHelpText(
      'after',
      `${examples(
        'vitictl scenario validate scenarios/machines.yaml',
        'vitictl scenario validate my-scenario.yaml --crd my-crd.yaml -o json',
        'vitictl scenario validate --crd ./third-party-crd.yaml --fill all',
      )}\nExit code 2 when any object violates its schema (warnings, e.g. fields the API server would prune, do not fail).\n`,
    )
    .action(bind(runner, validate));

  scenario
    .command('list')
    .description('list the built-in scenarios')
    .addHelpText('after', examples('vitictl scenario list', 'vitictl scenario list -o json'))
    .action(bind(runner, list));
}
