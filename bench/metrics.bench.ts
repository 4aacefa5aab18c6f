import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseExposition } from '../src/observe/metrics/parse.js';
import { renderExposition } from '../src/render/metrics-views.js';
import { makeStyle } from '../src/render/style.js';
import { borderlessTable, trimLines } from '../src/render/table.js';
import { mulberry32 } from '../src/scenario/rng.js';
import { bin, median, root, writeResult } from './lib.js';

/**
 * The exposition parser on a ~5 MB realistic exposition (a busy controller-runtime operator beside an
 * API-server-like HTTP handler set): labelled histograms with 15 buckets, REST client histograms per
 * verb and host, labelled counters, a GC summary and gauges with long label values. The same metrics
 * are rendered as Prometheus text 0.0.4 and as OpenMetrics 1.0 (with _created and exemplars), then
 * parsed in this process, bytes in, median of RUNS after one warm-up. The baseline is Prometheus' Go
 * parser (expfmt, the version the lab operator uses, from the module cache the lab build fills) on the
 * same text file: bench/expfmt/main.go. The two take turns, ROUNDS times, and each ratio is the median
 * of the rounds' ratios: on a shared machine the load drifts between one program's runs and the other's.
 */

const RUNS = 7;
const ROUNDS = 3;
const TARGET_BYTES = 5 * 1024 * 1024;
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 5, 10];
const VERBS = ['GET', 'LIST', 'WATCH', 'POST', 'PUT', 'PATCH', 'DELETE'];
const CODES = ['200', '201', '404', '409', '429', '500'];

export function exposition(openMetrics: boolean): string {
  const random = mulberry32(7);
  const out: string[] = [];
  const counter = (name: string, help: string) => {
    out.push(`# HELP ${name} ${help}`);
    out.push(openMetrics ? `# TYPE ${name} counter` : `# TYPE ${name}_total counter`);
  };
  const histogram = (name: string, labelSets: string[]) => {
    out.push(`# HELP ${name} How long it took, in seconds.`, `# TYPE ${name} histogram`);
    if (openMetrics) out.push(`# UNIT ${name} seconds`);
    for (const labels of labelSets) {
      let count = 0;
      for (const le of BOUNDS) {
        count += Math.floor(random() * 50);
        const exemplar =
          openMetrics && random() < 0.1
            ? ` # {trace_id="${Math.floor(random() * 1e12).toString(16)}"} ${(le * 0.9).toFixed(4)} 1767225600.${Math.floor(random() * 1000)}`
            : '';
        out.push(`${name}_bucket{${labels},le="${le}"} ${count}${exemplar}`);
      }
      out.push(`${name}_bucket{${labels},le="+Inf"} ${count}`);
      out.push(`${name}_sum{${labels}} ${(count * random()).toFixed(6)}`);
      out.push(`${name}_count{${labels}} ${count}`);
      if (openMetrics) out.push(`${name}_created{${labels}} 1767225600.25`);
    }
  };
  let round = 0;
  let bytes = 0;
  while (bytes < TARGET_BYTES) {
    const before = out.length;
    const controllers = Array.from({ length: 40 }, (_, i) => `controller="machine-${round}-${i}"`);
    histogram(`controller_runtime_reconcile_r${round}_time_seconds`, controllers);
    histogram(
      `rest_client_r${round}_request_duration_seconds`,
      VERBS.flatMap((verb) => Array.from({ length: 6 }, (_, h) => `host="10.0.${h}.1:6443",verb="${verb}"`)),
    );
    const requests = `http_requests_r${round}`;
    counter(requests, 'HTTP requests by handler, method and code.');
    for (let handler = 0; handler < 60; handler++) {
      for (const code of CODES) {
        out.push(
          `${requests}_total{code="${code}",handler="/apis/vitistack.io/v1alpha1/namespaces/vitictl-${handler}/machines",method="${VERBS[handler % VERBS.length]}"} ${Math.floor(random() * 1e6)}`,
        );
        if (openMetrics)
          out.push(
            `${requests}_created{code="${code}",handler="/apis/vitistack.io/v1alpha1/namespaces/vitictl-${handler}/machines",method="${VERBS[handler % VERBS.length]}"} 1767225600`,
          );
      }
    }
    const gc = `go_gc_r${round}_duration_seconds`;
    out.push(`# HELP ${gc} A summary of GC pauses.`, `# TYPE ${gc} summary`);
    for (const q of ['0', '0.25', '0.5', '0.75', '1']) out.push(`${gc}{quantile="${q}"} ${random() * 1e-3}`);
    out.push(`${gc}_sum 0.${Math.floor(random() * 1e6)}`, `${gc}_count ${Math.floor(random() * 1e4)}`);
    const depth = `workqueue_depth_r${round}`;
    out.push(`# HELP ${depth} Current depth of workqueue.`, `# TYPE ${depth} gauge`);
    for (let i = 0; i < 200; i++)
      out.push(`${depth}{name="machine-${i}",message="${'x'.repeat(40)} \\"quoted\\" ${i}"} ${i % 17}`);
    for (let i = before; i < out.length; i++) bytes += out[i]!.length + 1;
    round++;
  }
  if (openMetrics) out.push('# EOF');
  return `${out.join('\n')}\n`;
}

type Parse = typeof parseExposition;

/**
 * The parser as `vitictl` runs it: the built JavaScript in dist/. Through tsx, which wraps every
 * closure in a name-keeping helper, strict mode measured 30–40% slower than the code users run.
 */
async function builtParser(): Promise<Parse> {
  const url = pathToFileURL(join(root, 'dist/observe/metrics/parse.js')).href;
  return ((await import(url)) as { parseExposition: Parse }).parseExposition;
}

/** RUNS timed parses of `data` after one warm-up, in ms. */
function timeParse(parse: Parse, data: Buffer, options: Parameters<Parse>[1]): number[] {
  const run = () => {
    const start = process.hrtime.bigint();
    const parsed = parse(data, options);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (parsed.problems.length > 0)
      throw new Error(`bench input has problems: ${parsed.problems[0]?.message}`);
    return ms;
  };
  run(); // warm-up
  return Array.from({ length: RUNS }, run);
}

const GO = spawnSync('go', ['version']).status === 0 ? 'go' : '/usr/local/go/bin/go';

/** expfmt built once, offline, or why it cannot be (no Go, modules not cached). */
function buildExpfmt(text: Buffer): { run: () => number; dispose: () => void } | { skipped: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-expfmt-'));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  copyFileSync(join(root, 'bench/expfmt/main.go'), join(dir, 'main.go'));
  copyFileSync(join(root, 'lab/operator/go.sum'), join(dir, 'go.sum'));
  writeFileSync(
    join(dir, 'go.mod'),
    'module expfmtbench\n\ngo 1.26.0\n\nrequire github.com/prometheus/common v0.70.0\n',
  );
  writeFileSync(join(dir, 'exposition.txt'), text);
  // offline, from the module cache alone (its zips were verified when the lab build downloaded them)
  const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOSUMDB: 'off' };
  const build = spawnSync(GO, ['build', '-o', 'expfmt-bench', '.'], { cwd: dir, env, encoding: 'utf8' });
  if (build.status !== 0) {
    dispose();
    return { skipped: `go build failed: ${(build.stderr || String(build.error)).trim()}` };
  }
  const run = () => {
    const ran = spawnSync(join(dir, 'expfmt-bench'), ['exposition.txt'], { cwd: dir, encoding: 'utf8' });
    if (ran.status !== 0) throw new Error(`expfmt failed: ${ran.stderr.trim()}`);
    return Number(ran.stdout.trim());
  };
  return { run, dispose };
}

type Mode = 'textLenient' | 'textStrict' | 'openMetricsLenient' | 'openMetricsStrict';

/**
 * ROUNDS rounds of: expfmt's median (in its own process), then RUNS parses of each mode here. Each
 * mode's ratio to expfmt is taken within a round, and the median of the rounds' ratios reported.
 */
function parseRounds(parse: Parse, text: Buffer, om: Buffer) {
  const modes: Record<Mode, [Buffer, Parameters<Parse>[1]]> = {
    textLenient: [text, {}],
    textStrict: [text, { strict: true }],
    openMetricsLenient: [om, {}],
    openMetricsStrict: [om, { strict: true }],
  };
  const expfmt = buildExpfmt(text);
  const goMedians: number[] = [];
  const runs = Object.fromEntries(Object.keys(modes).map((mode) => [mode, [] as number[][]])) as Record<
    Mode,
    number[][]
  >;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      if ('run' in expfmt) goMedians.push(expfmt.run());
      for (const [mode, [data, options]] of Object.entries(modes) as [Mode, (typeof modes)[Mode]][])
        runs[mode].push(timeParse(parse, data, options));
    }
  } finally {
    if ('dispose' in expfmt) expfmt.dispose();
  }
  const summary = (mode: Mode) => ({
    medianMs: +median(runs[mode].flat()).toFixed(1),
    roundMediansMs: runs[mode].map((round) => +median(round).toFixed(1)),
    ...(goMedians.length > 0 && {
      vsExpfmt: +median(runs[mode].map((round, i) => median(round) / (goMedians[i] as number))).toFixed(2),
    }),
  });
  return {
    textLenient: summary('textLenient'),
    textStrict: summary('textStrict'),
    openMetricsLenient: summary('openMetricsLenient'),
    openMetricsStrict: summary('openMetricsStrict'),
    goExpfmtText:
      'skipped' in expfmt
        ? expfmt
        : { medianMs: +median(goMedians).toFixed(1), roundMediansMs: goMedians.map((ms) => +ms.toFixed(1)) },
  };
}

/** ms of `render` (one warm-up, median of 3): a table of thousands of rows */
function timeRender(render: () => string): { medianMs: number; bytes: number } {
  let bytes = render().length;
  const runs = Array.from({ length: 3 }, () => {
    const start = process.hrtime.bigint();
    bytes = render().length;
    return Number(process.hrtime.bigint() - start) / 1e6;
  });
  return { medianMs: +median(runs).toFixed(1), bytes };
}

/**
 * The parse table of the 5 MB exposition: the cli-table3 rendering it had before (baseline) beside
 * the one-pass columns, every family (--limit 0) and the default first 50; then the whole command,
 * `vitictl metrics parse FILE --limit 0 > /dev/null` (process start, read, parse, render).
 */
function tables(text: Buffer) {
  const exposition = parseExposition(text, {});
  const style = makeStyle(false);
  const cliTable3 = timeRender(() => {
    const table = borderlessTable(['FAMILY', 'TYPE', 'SAMPLES', 'EXEMPLARS', 'HELP'], style);
    for (const family of exposition.families.values()) {
      table.push([
        family.name,
        family.type,
        String(family.samples.length),
        String(family.samples.filter((s) => s.exemplar).length),
        (family.help ?? '').slice(0, 60),
      ]);
    }
    return trimLines(table.toString());
  });
  const all = timeRender(() => renderExposition(exposition, style, 0));
  const first50 = timeRender(() => renderExposition(exposition, style, 50));
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-table-'));
  let commandMs: number[] = [];
  try {
    const file = join(dir, 'exposition.txt');
    writeFileSync(file, text);
    commandMs = Array.from({ length: 3 }, () => {
      const start = process.hrtime.bigint();
      const run = spawnSync(process.execPath, [bin, 'metrics', 'parse', file, '--limit', '0'], {
        stdio: 'ignore',
      });
      if (run.status !== 0) throw new Error(`vitictl metrics parse exited ${run.status}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    families: exposition.families.size,
    cliTable3AllRows: cliTable3,
    alignedAllRows: all,
    alignedFirst50: first50,
    cliTable3OverAligned: +(cliTable3.medianMs / all.medianMs).toFixed(1),
    wholeCommandLimit0: {
      medianMs: +median(commandMs).toFixed(0),
      runsMs: commandMs.map((ms) => +ms.toFixed(0)),
    },
  };
}

const SCRAPE_SECONDS = 30;

/**
 * What a 1 s scrape of a 5 MB endpoint costs: `vitictl metrics scrape URL --interval 1s -o json` for 30 s
 * against this process serving the exposition on 127.0.0.1, its CPU (user + system, /usr/bin/time)
 * over its wall time. The server's own CPU is this process's, not counted.
 */
async function scrapeCost(text: Buffer) {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': text.length });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'vitictl-bench-scrape-'));
  try {
    const timeFile = join(dir, 'time');
    const child = spawn(
      '/usr/bin/time',
      [
        '-o',
        timeFile,
        '-f',
        '%e %U %S',
        process.execPath,
        bin,
        'metrics',
        'scrape',
        `http://127.0.0.1:${port}/metrics`,
        '--interval',
        '1s',
        '--duration',
        `${SCRAPE_SECONDS}s`,
        '-o',
        'json',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (status !== 0) throw new Error(`vitictl metrics scrape exited ${status}`);
    const [wall, user, system] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .pop()!
      .split(' ')
      .map(Number);
    const scrapes = (JSON.parse(stdout) as { signals: Array<{ scrapes: number }> }).signals[0]?.scrapes ?? 0;
    const cpu = (user as number) + (system as number);
    return {
      bytes: text.length,
      seconds: SCRAPE_SECONDS,
      scrapes,
      wallSeconds: wall,
      cpuSeconds: +cpu.toFixed(2),
      coreShare: +(cpu / (wall as number)).toFixed(3),
      cpuMsPerScrape: scrapes > 0 ? Math.round((cpu * 1000) / scrapes) : null,
    };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMetrics(): Promise<string> {
  const text = Buffer.from(exposition(false));
  const om = Buffer.from(exposition(true));
  const load = [loadavg()[0]];
  const parse = await builtParser();
  const result = {
    input: {
      textBytes: text.length,
      textLines: text.toString('latin1').split('\n').length - 1,
      openMetricsBytes: om.length,
      openMetricsLines: om.toString('latin1').split('\n').length - 1,
    },
    ...parseRounds(parse, text, om),
    table: tables(text),
    scrapeEverySecond: await scrapeCost(text),
  };
  load.push(loadavg()[0]);
  return writeResult('metrics', {
    ...result,
    loadAverage1m: { before: load[0], after: load[1] },
    note: `parseExposition(bytes) of the built dist/ (as vitictl runs it) in this process (UTF-8 decoding included), ${RUNS} runs after one warm-up per round; goExpfmtText: Prometheus' expfmt TextParser (prometheus/common v0.70.0) on the same text bytes in a Go process, median of 7 after one warm-up per round; ${ROUNDS} rounds, each mode's vsExpfmt is the median over rounds of (its round median ÷ expfmt's median in the same round); wall clock on a machine shared with other work (see loadAverage1m); table: the parse table's rendering in this process (cli-table3, as before, vs one-pass columns) and the whole built command; scrapeEverySecond: \`vitictl metrics scrape URL --interval 1s --duration ${SCRAPE_SECONDS}s -o json\` against the text exposition served by this process on 127.0.0.1, coreShare = (user + system CPU of the vitictl process, /usr/bin/time) ÷ its wall time, process start and the final signals included.`,
  });
}
