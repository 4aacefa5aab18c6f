import type { Command } from 'commander';
import { inputError, usageError } from '../../errors.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { intFlag, outputFormat } from '../flags.js';

interface PerfFlags {
  lab?: boolean;
  gates?: string;
  baseline?: string;
  maxRegression?: string;
  outDir?: string;
  count?: string;
}

/** Read a RunResult file (for --baseline and report commands): exit 2 with the reason when it is not one. */
export async function readRunResult(file: string) {
  const { readFile } = await import('node:fs/promises');
  const { runResultSchema } = await import('../../report/run-result.js');
  const text = await readFile(file, 'utf8').catch(() => {
    throw inputError(`run file not found: ${file}`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw inputError(`${file} is not JSON`, {
      hint: 'pass a run.json written by vitictl perf run or apply --out',
    });
  }
  const parsed = runResultSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw inputError(`${file} is not a RunResult: ${issue?.path.join('.') || '.'}: ${issue?.message}`, {
      location: { file },
    });
  }
  return parsed.data;
}

async function readGatesFile(file: string): Promise<string[]> {
  const { parseYamlSource, readTextFile } = await import('../../config/yaml-source.js');
  const source = parseYamlSource(file, await readTextFile(file, 'gates file'));
  const value = source.value as { gates?: unknown } | unknown[];
  const list = Array.isArray(value) ? value : (value as { gates?: unknown }).gates;
  if (!Array.isArray(list) || !list.every((gate) => typeof gate === 'string')) {
    throw inputError('a gates file is a YAML list of gates (or gates: [...])', {
      location: { file, line: 1, column: 1 },
      hint: 'e.g. - ready.p99 < 30s',
    });
  }
  return list as string[];
}

async function run(ctx: CliContext, profileName: string | undefined, flags: PerfFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { loadProfile } = await import('../../config/load-profile.js');
  const profile = await loadProfile(profileName ?? 'smoke');
  const extraGates = flags.gates ? await readGatesFile(flags.gates) : [];
  const baseline = flags.baseline ? await readRunResult(flags.baseline) : undefined;
  const maxRegression =
    flags.maxRegression === undefined ? 0.1 : Number(flags.maxRegression.replace(/%$/, '')) / 100;
  if (!Number.isFinite(maxRegression) || maxRegression < 0)
    throw usageError('--max-regression must be a percentage like 10%');
  const { perfRun } = await import('../../perf/run.js');
  const { renderHtmlReport } = await import('../../render/html-report.js');
  const { makeProgress } = await import('../progress.js');
  const progress = await makeProgress(ctx);
  const signal = ctx.io.interrupt(() => {
    progress.stop();
    ctx.io.stderr.write(
      '\ninterrupted twice: stopped without cleanup; vitictl cleanup --run-id <id> removes what was created (the id is in the labels)\n',
    );
  });
  signal.addEventListener(
    'abort',
    () =>
      ctx.info(
        '\ninterrupt: stopping, cleaning up, writing the partial report (Ctrl-C again to quit at once)',
      ),
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
      baseline,
      maxRegression,
      outDir: flags.outDir ?? 'vitictl-report',
      count: intFlag('--count', flags.count, 1),
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
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(output.result, null, 2)}\n`);
  else {
    const { renderPerf } = await import('../../render/perf-views.js');
    ctx.io.stdout.write(renderPerf(output.result, output.files, ctx.style));
  }
  if (output.result.interrupted) return 130;
  return output.passed ? 0 : 3;
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
    .addHelpText(
      'after',
      `${examples(
        'vitictl perf run smoke --lab',
        'vitictl perf run load --baseline main-run.json --out-dir reports/',
        'vitictl perf run profiles/stress.yaml --lab -o json',
        'vitictl perf run my-profile.yaml --gates gates.yaml --kubeconfig ~/.kube/staging',
      )}
Exit codes: 0 every gate passed · 3 a gate failed (the report says which and by how much) · 1 runtime
error · 2 bad input · 130 interrupted (partial report written, objects cleaned up).
With $GITHUB_STEP_SUMMARY set, report.md is appended to it.
`,
    )
    .action(bind(runner, run));
}
