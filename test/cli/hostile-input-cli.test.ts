import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { shard } from '../helpers/run-fixture.js';

/** Hostile input ends as one error line and exit 2, quickly: never "internal error", never a hang. */
describe('hostile input (in-process)', () => {
  const temp = useTempDir();
  const bomb = [
    'a0: &a0 [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`),
  ].join('\n');

  const refused = async (args: string[], line: RegExp) => {
    const started = performance.now();
    const result = await runCli(args);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(line)]);
    expect(result.exitCode).toBe(2);
    expect(performance.now() - started).toBeLessThan(10_000);
  };

  it('refuses bad gates files before any load', async () => {
    const empty = await temp.write('empty.yaml', '');
    const noThreshold = await temp.write('gates.yaml', '- ready.p99 <\n');
    await refused(['perf', 'run', 'smoke', '--gates', empty], /empty\.yaml: the gates file is empty/);
    await refused(
      ['perf', 'run', 'smoke', '--gates', noThreshold],
      /gates\.yaml:1:3: gate "ready.p99 <": no threshold/,
    );
  });

  it('refuses YAML alias bombs in scenarios, CRDs and gates files', async () => {
    const file = await temp.write('bomb.yaml', bomb);
    await refused(['scenario', 'validate', file], /bomb\.yaml:9:\d+: YAML aliases: Excessive alias count/);
    await refused(['scenario', 'generate', '--crd', file], /bomb\.yaml:9:\d+: YAML aliases/);
    await refused(['perf', 'run', 'smoke', '--gates', file], /bomb\.yaml:9:\d+: YAML aliases/);
  });

  it('refuses unbounded work', async () => {
    await refused(
      ['scenario', 'validate', 'machines', '--count', '1000000000000'],
      /objects: a scenario makes at most 10,000,000/,
    );
    await refused(
      ['webhook', 'bench', '--url', 'https://127.0.0.1:1/x', '--rate', '1e9'],
      /--rate 1000000000 is more than vitictl allows/,
    );
    const zeros = await temp.write('zeros.pb.gz', '');
    await writeFile(zeros, gzipSync(Buffer.alloc(64 * 2 ** 20)));
    await refused(
      ['pprof', 'top', zeros, '--max-profile-size', '16'],
      /zeros\.pb\.gz: decompresses to more than 16 MiB/,
    );
  });

  it('refuses a run.json whose counts do not add up, naming the JSON path', async () => {
    const run = shard(0, [100, 200], 0).result;
    run.apply!.counts.ready = 1e15;
    const file = await temp.write('run.json', JSON.stringify(run));
    await refused(['report', 'show', file], /run\.json: \$\.apply\.counts: not a consistent RunResult/);
    await refused(
      ['report', 'merge', file, file],
      /run\.json: \$\.apply\.counts: not a consistent RunResult/,
    );
  });

  it('escapes control bytes from the input in the error line', async () => {
    const result = await runCli(['scenario', 'validate', 'no\u001b[2Jsuch\u0007.yaml']);
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).not.toContain('\u001b');
    expect(String(result.stderr)).not.toContain('\u0007');
    expect(String(result.stderr)).toContain('no\\u001b[2Jsuch\\u0007.yaml');

    const usage = await runCli(['scenario', 'validate', '--bogus\u001b[2J']);
    expect(usage.exitCode).toBe(2);
    expect(String(usage.stderr)).toContain("unknown option '--bogus\\u001b[2J'");
  });
});
