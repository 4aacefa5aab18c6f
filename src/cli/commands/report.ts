import type { Command } from 'commander';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../flags.js';
import { readRunResult } from './perf.js';

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
  const { baselineGates } = await import('../../perf/gates.js');
  const maxRegression =
    flags.maxRegression === undefined ? 0.1 : Number(flags.maxRegression.replace(/%$/, '')) / 100;
  const gates = baselineGates(next, base, maxRegression);
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
    ctx.io.stdout.write(`${base.runId} → ${next.runId}\n${trimLines(table.toString())}\n`);
  }
  return gates.every((gate) => gate.passed) ? 0 : 3;
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
}
