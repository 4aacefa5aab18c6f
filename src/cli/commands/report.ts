import type { Command } from 'commander';
import { escapeControl } from '../../util/escape-control.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { maxRegressionFlag, outputFormat } from '../flags.js';
import { readRunResult, reportMerged } from '../run-files.js';

async function show(ctx: CliContext, file: string) {
  const format = outputFormat(ctx, ['table', 'json', 'markdown', 'junit', 'html'] as const, 'table');
  const result = await readRunResult(file);
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (format === 'markdown')
    ctx.io.stdout.write((await import('../../render/markdown.js')).renderMarkdown(result));
  else if (format === 'junit')
    ctx.io.stdout.write((await import('../../render/junit.js')).renderJunit(result));
  else if (format === 'html')
    ctx.io.stdout.write((await import('../../render/html-report.js')).renderHtmlReport(result));
  else ctx.io.stdout.write((await import('../../render/perf-views.js')).renderPerf(result, [], ctx.style));
  return 0;
}

async function compare(
  ctx: CliContext,
  baseFile: string,
  newFile: string,
  flags: { maxRegression?: string },
) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const base = await readRunResult(baseFile);
  const next = await readRunResult(newFile);
  const { baselineGates } = await import('../../perf/gates/baseline.js');
  const gates = baselineGates(next, base, maxRegressionFlag(flags.maxRegression));
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(gates, null, 2)}\n`);
  else {
    const { borderlessTable, trimLines } = await import('../../render/table.js');
    const table = borderlessTable(['METRIC', 'COMPARISON', ''], ctx.style);
    for (const gate of gates)
      table.push([
        gate.metric,
        gate.message,
        gate.passed ? ctx.style.green('ok') : ctx.style.red('REGRESSION'),
      ]);
    ctx.io.stdout.write(
      `${escapeControl(`${base.runId} → ${next.runId}`)}\n${trimLines(table.toString())}\n`,
    );
  }
  return gates.every((gate) => gate.passed) ? 0 : 3;
}

interface MergeFlags {
  outDir?: string;
  baseline?: string;
  maxRegression?: string;
}

async function merge(ctx: CliContext, files: string[], flags: MergeFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const shards = await Promise.all(files.map(async (file) => ({ file, result: await readRunResult(file) })));
  const baseline = flags.baseline ? await readRunResult(flags.baseline) : undefined;
  const { mergeAndJudge } = await import('../../perf/merge-run.js');
  const merged = mergeAndJudge(shards, baseline, maxRegressionFlag(flags.maxRegression));
  for (const warning of merged.warnings) ctx.warn(warning);
  return reportMerged(ctx, format, merged.result, flags.outDir, baseline);
}

export function registerReport(program: Command, runner: Runner): void {
  const report = program.command('report').description('render and compare saved runs (run.json)');
  report
    .command('show')
    .argument('<run.json>', 'a RunResult')
    .description('render a run: -o table (default), json, markdown, junit or html')
    .addHelpText(
      'after',
      examples(
        'vitictl report show vitictl-report/run.json',
        'vitictl report show run.json -o html > report.html',
      ),
    )
    .action(bind(runner, show));
  report
    .command('compare')
    .argument('<baseline.json>', 'the baseline run')
    .argument('<run.json>', 'the new run')
    .option('--max-regression <pct>', 'allowed regression beyond the measured noise', '10%')
    .description('compare two runs metric by metric, with the run-to-run noise; exit 3 on a regression')
    .addHelpText(
      'after',
      examples(
        'vitictl report compare main.json branch.json',
        'vitictl report compare a.json b.json --max-regression 5% -o json',
      ),
    )
    .action(bind(runner, compare));
  report
    .command('merge')
    .argument('<shard.json...>', 'the RunResults of every shard of one run (--shard i/N)')
    .option('--out-dir <dir>', 'write run.json, report.md, junit.xml and report.html of the merged run here')
    .option('--baseline <run.json>', "judge the merged run against a baseline (the shards' baseline gates)")
    .option('--max-regression <pct>', 'allowed regression beyond the measured noise, with --baseline', '10%')
    .description(
      'merge the shards of one run: counts add, histograms merge exactly, gates are judged again on the whole',
    )
    .addHelpText(
      'after',
      `${examples(
        'vitictl report merge shard-0.json shard-1.json shard-2.json --out-dir merged/',
        'vitictl report merge shards/*.json -o json > run.json',
        'vitictl report merge shards/*.json --baseline main-run.json',
      )}
Refuses files that are not all the shards of one run (another run id, scenario or shard count; a shard
twice or missing) and says which. Exit 0 every gate passed · 3 a gate failed on the merged run · 2 bad input.
`,
    )
    .action(bind(runner, merge));
}
