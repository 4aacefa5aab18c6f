import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
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
    // before the kubeconfig is even read: nothing connects, nothing is created
    await refused(
      ['apply', 'machines', '--count', '2000000', '--kubeconfig', '/nonexistent'],
      /^error: 2,000,000 objects: tracking each until ready takes about 976\.6 MiB, more than the 512 MiB one apply may use/,
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

  it('cuts an error line that quotes megabytes of input: a 5 MB gate is one line of about 2,000 characters', async () => {
    const gates = await temp.write('long.yaml', `- "${'x'.repeat(5_000_000)} < 30s"\n`);
    const result = await runCli(['perf', 'run', 'smoke', '--gates', gates]);
    expect(result.exitCode).toBe(2);
    const [line] = errorLines(result.stderr);
    expect(line).toMatch(/… \([\d,]+ more characters\)$/);
    expect(line!.length).toBeLessThan(2200);
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

/** Everything read is bounded: past the limit, exit 2 (or a failed scrape) naming where, the size and the flag. */
describe('oversized input (the built CLI)', () => {
  const temp = useTempDir();
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  /** A real endpoint on port 0 streaming a body that never ends. */
  function endless(): Promise<number> {
    const chunk = Buffer.from('# TYPE up gauge\nup 1\n'.repeat(3000));
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    servers.push(server);
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  }

  it('metrics parse: a file past --max-exposition-size, and stdin past it', async () => {
    const file = await temp.write('big.txt', 'up 1\n'.repeat(500_000));
    const fromFile = await runCli(['metrics', 'parse', file, '--max-exposition-size', '1']);
    expect(fromFile.exitCode).toBe(2);
    expect(errorLines(fromFile.stderr)).toEqual([
      `error: ${file}: exposition file is 2.4 MiB, more than the 1 MiB limit`,
    ]);
    expect(String(fromFile.stderr)).toMatch(/^hint: .*--max-exposition-size MiB raises it$/m);
    const fromStdin = await runCli(['metrics', 'parse', '-', '--max-exposition-size', '1'], {
      input: 'up 1\n'.repeat(500_000),
    });
    expect(fromStdin.exitCode).toBe(2);
    expect(errorLines(fromStdin.stderr)).toEqual([
      expect.stringMatching(
        /^error: <stdin>: the exposition is over the 1 MiB limit \(reading stopped at [\d.]+ MiB\)$/,
      ),
    ]);
  });

  it('metrics scrape: an endless body is a failed scrape with the flag to raise the limit (exit 1)', async () => {
    const port = await endless();
    const started = performance.now();
    const result = await runCli([
      'metrics',
      'scrape',
      `http://127.0.0.1:${port}/metrics`,
      '--once',
      '--max-exposition-size',
      '1',
    ]);
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: no scrape succeeded: http://127\\.0\\.0\\.1:${port}/metrics: the response is over the 1 MiB limit \\(reading stopped at [\\d.]+ MiB\\)$`,
        ),
      ),
    ]);
    expect(String(result.stderr)).toMatch(/^hint: .*--max-exposition-size MiB/m);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('pprof capture: an endless answer is exit 2 naming the URL and --max-profile-size, nothing saved', async () => {
    const port = await endless();
    await temp.write('.keep', '');
    const result = await runCli([
      'pprof',
      'capture',
      `http://127.0.0.1:${port}`,
      '--profile',
      'heap',
      '--max-profile-size',
      '1',
      '--out',
      temp.dir(),
    ]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: http://127\\.0\\.0\\.1:${port}/debug/pprof/heap: the response is over the 1 MiB limit`,
        ),
      ),
    ]);
    expect(String(result.stderr)).toMatch(/^hint: raise the limit with --max-profile-size MiB/m);
    expect(readdirSync(temp.dir())).toEqual(['.keep']);
  });
});
