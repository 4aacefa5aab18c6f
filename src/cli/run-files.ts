import type { RunResult } from '../report/run-result.js';
import type { CliContext } from './context.js';

/** Read a RunResult file (--baseline, --from, report commands): exit 2 with the reason when it is not one. */
export async function readRunResult(file: string): Promise<RunResult> {
  const { readBoundedFile } = await import('../util/read-input.js');
  const { parseRunResult, MAX_RUN_FILE_BYTES } = await import('../report/run-result.js');
  const text = (await readBoundedFile(file, 'run file', MAX_RUN_FILE_BYTES)).toString('utf8');
  const { parseJsonInput } = await import('../util/json-input.js');
  const raw = parseJsonInput(
    text,
    file,
    'run file',
    'pass a run.json written by vitictl perf run or apply --out',
  );
  return parseRunResult(raw, file, { file });
}

/** Write and show a merged run (report merge, perf collect): exit 3 when a gate failed on the whole. */
export async function reportMerged(
  ctx: CliContext,
  format: 'table' | 'json',
  result: RunResult,
  outDir: string | undefined,
  baseline: RunResult | undefined,
) {
  let files: string[] = [];
  if (outDir) {
    const { writeReports } = await import('../perf/run.js');
    const { renderHtmlReport } = await import('../render/html-report.js');
    files = await writeReports(result, {
      outDir,
      env: ctx.io.env,
      baseline,
      renderHtml: (run, base) => renderHtmlReport(run, base ? { baseline: base } : {}),
    });
  }
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else ctx.io.stdout.write((await import('../render/perf-views.js')).renderPerf(result, files, ctx.style));
  if (result.interrupted) return 130;
  return (result.gates ?? []).every((gate) => gate.passed) ? 0 : 3;
}
