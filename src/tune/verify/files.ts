import { join } from 'node:path';
import { renderVerifyHtml } from '../../render/verify-html.js';
import { renderVerifyMarkdown } from '../../render/verify-views.js';
import type { RunResult } from '../../report/run-result.js';
import { writeChunks, writeFileAtomically } from '../../util/atomic-write.js';
import { ensureOutDir } from '../../util/out-dir.js';
import type { VerifyResult } from './result.js';

/** The runs verify compared: the recorded one, the re-measured baseline (when it ran) and the re-run. */
export interface VerifyRuns {
  recorded: RunResult;
  baseline: RunResult | undefined;
  after: RunResult | undefined;
  /** rounds after the first (--rounds): baseline-K.json and after-K.json */
  laterRounds?: ReadonlyArray<{ baseline: RunResult; after?: RunResult | undefined }>;
}

/**
 * verify.json, report.md, report.html, and the RunResults verify made (baseline.json, after.json) into
 * dir, atomically.
 */
export async function writeVerifyFiles(
  dir: string,
  result: VerifyResult,
  runs: VerifyRuns,
): Promise<string[]> {
  await ensureOutDir(dir, '--out-dir');
  const { baseline, after } = runs;
  const outputs: Array<[string, string]> = [
    ['verify.json', `${JSON.stringify(result, null, 2)}\n`],
    ['report.md', renderVerifyMarkdown(result)],
    ['report.html', renderVerifyHtml(result, { before: baseline ?? runs.recorded, after })],
  ];
  if (baseline) outputs.push(['baseline.json', `${JSON.stringify(baseline, null, 2)}\n`]);
  if (after) outputs.push(['after.json', `${JSON.stringify(after, null, 2)}\n`]);
  for (const [index, round] of (runs.laterRounds ?? []).entries()) {
    outputs.push([`baseline-${index + 2}.json`, `${JSON.stringify(round.baseline, null, 2)}\n`]);
    if (round.after) outputs.push([`after-${index + 2}.json`, `${JSON.stringify(round.after, null, 2)}\n`]);
  }
  const files: string[] = [];
  for (const [name, text] of outputs) {
    const file = join(dir, name);
    await writeFileAtomically(file, (stream) => writeChunks(stream, [text]));
    files.push(file);
  }
  return files;
}
