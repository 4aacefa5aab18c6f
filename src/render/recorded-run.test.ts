import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRunResult } from '../report/run-result.js';
import { renderHtmlReport } from './html-report.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderPerf } from './perf-views.js';
import { makeStyle } from './style.js';
import { renderTune } from './tune-views.js';

/** Every renderer on one RunResult recorded from the lab (test/fixtures/README.md says how). */
const file = new URL('../../test/fixtures/smoke-run.json', import.meta.url);
const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), 'smoke-run.json');
const plain = makeStyle(false);

describe('the renderers on a recorded perf run', () => {
  it('terminal', async () => {
    await expect(renderPerf(run, ['run.json'], plain)).toMatchFileSnapshot(
      '__snapshots__/recorded-run/terminal.txt',
    );
  });

  it('tune', async () => {
    await expect(renderTune(run.tune!, plain)).toMatchFileSnapshot('__snapshots__/recorded-run/tune.txt');
  });

  it('markdown', async () => {
    await expect(renderMarkdown(run)).toMatchFileSnapshot('__snapshots__/recorded-run/report.md');
  });

  it('junit', async () => {
    await expect(renderJunit(run)).toMatchFileSnapshot('__snapshots__/recorded-run/junit.xml');
  });

  it('html', async () => {
    await expect(renderHtmlReport(run)).toMatchFileSnapshot('__snapshots__/recorded-run/report.html');
  });
});
