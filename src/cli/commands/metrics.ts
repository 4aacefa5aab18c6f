import type { Command } from 'commander';
import { inputError, usageError } from '../../errors.js';
import type { GoRegexp } from '../../util/go-regexp.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { durationFlag, intFlag, mibFlag, outputFormat } from '../flags.js';
import { interruptExitCode } from '../io.js';

interface TargetFlags {
  selector?: string;
  port?: string;
  ca?: string;
  bearerTokenFile?: string;
  insecureSkipTlsVerify?: boolean;
}

interface ScrapeFlags extends TargetFlags {
  interval?: string;
  duration?: string;
  once?: boolean;
  select?: string;
  out?: string;
  maxExpositionSize?: string;
}

export function targetOptions(ctx: CliContext, flags: TargetFlags) {
  return {
    namespace: ctx.globals.namespace ?? 'default',
    selector: flags.selector,
    port: intFlag('--port', flags.port, 1),
    ca: flags.ca,
    bearerTokenFile: flags.bearerTokenFile,
    insecureSkipTlsVerify: flags.insecureSkipTlsVerify === true,
    onWarning: (message: string) => ctx.warn(message),
    connect: async () => {
      const { connect } = await import('../../kube/connect.js');
      return connect({ kubeconfig: ctx.globals.kubeconfig, context: ctx.globals.context, env: ctx.io.env });
    },
  };
}

/** A Go regexp, as Prometheus reads its selectors. */
async function regexFlag(flag: string, value: string | undefined): Promise<GoRegexp | undefined> {
  if (value === undefined) return undefined;
  const { compileGoRegexp } = await import('../../util/go-regexp.js');
  try {
    return compileGoRegexp(value);
  } catch (error) {
    throw usageError(`${flag}: invalid regular expression: ${(error as Error).message}`);
  }
}

async function scrape(ctx: CliContext, spec: string | undefined, flags: ScrapeFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const intervalMs = durationFlag('--interval', flags.interval) ?? 5000;
  const durationMs = flags.once ? undefined : (durationFlag('--duration', flags.duration) ?? 60_000);
  if (intervalMs < 100) throw usageError('--interval must be at least 100ms');
  const maxBytes = mibFlag('--max-exposition-size', flags.maxExpositionSize);
  const select = await regexFlag('--select', flags.select);
  const { resolveTargets } = await import('../../observe/target.js');
  const { scrapeTargets, saveScrapes } = await import('../../observe/metrics/scraper.js');
  const { computeSignals } = await import('../../observe/metrics/signals.js');
  const targets = await resolveTargets(spec, targetOptions(ctx, flags));
  const signal = ctx.io.interrupt(() => undefined);
  ctx.info(
    `scraping ${targets.map((t) => t.name).join(', ')} ${flags.once ? 'once' : `every ${intervalMs / 1000}s for ${(durationMs ?? 0) / 1000}s`} (Ctrl-C stops early)`,
  );
  try {
    const result = await scrapeTargets(targets, {
      intervalMs,
      ...(durationMs === undefined ? {} : { durationMs }),
      once: flags.once === true,
      ...(select ? { select } : {}),
      ...(maxBytes ? { maxBytes } : {}),
      signal,
      interrupt: signal,
    });
    if (result.stores.every((store) => store.size === 0)) {
      const last = result.failures.at(-1);
      const { interruptedError, runtimeError } = await import('../../errors.js');
      if (signal.aborted) throw interruptedError('interrupted before any scrape answered', signal);
      throw runtimeError(`no scrape succeeded: ${last?.message ?? 'no targets'}`, {
        hint: last?.hint ?? 'check the target, the port, and that metrics are enabled',
      });
    }
    for (const failure of result.failures.slice(0, 5)) ctx.warn(`scrape failed: ${failure.message}`);
    if (flags.out) {
      const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
      const text = `${JSON.stringify(saveScrapes(result.stores))}\n`;
      await writeFileAtomically(flags.out, (stream) => writeChunks(stream, [text]));
      ctx.info(
        `wrote ${result.stores.reduce((n, s) => n + s.size, 0)} scrapes to ${flags.out} (vitictl metrics signals ${flags.out})`,
      );
    }
    const signals = result.stores.filter((store) => store.size > 0).map((store) => computeSignals(store));
    if (format === 'json')
      ctx.io.stdout.write(
        `${JSON.stringify({ signals, failures: result.failures, parseProblems: result.parseProblems }, null, 2)}\n`,
      );
    else {
      const { renderSignals } = await import('../../render/metrics-views.js');
      ctx.io.stdout.write(renderSignals(signals, ctx.style));
    }
    // stopped early: what was scraped is printed and saved, and the exit code says it was cut short
    if (signal.aborted) return interruptExitCode(signal);
    return result.failures.length > 0 ? 1 : 0;
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}

async function parse(
  ctx: CliContext,
  file: string,
  flags: { strict?: boolean; format?: string; maxExpositionSize?: string; limit?: string },
) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const rows = intFlag('--limit', flags.limit, 0) ?? DEFAULT_ROWS;
  const { DEFAULT_LIMITS, parseExposition, ExpositionError } = await import('../../observe/metrics/parse.js');
  const source = file === '-' ? '<stdin>' : file;
  const limit = mibFlag('--max-exposition-size', flags.maxExpositionSize) ?? DEFAULT_LIMITS.maxInputBytes;
  const { formatBytes } = await import('../../util/read-input.js');
  const tooBigHint = `vitictl parses expositions of up to ${formatBytes(limit)}; --max-exposition-size MiB raises it`;
  let bytes: Buffer;
  if (file === '-') {
    const { readBounded, TooLargeError } = await import('../../util/read-bounded.js');
    bytes = await readBounded(ctx.io.stdin, limit).catch((error: unknown) => {
      if (error instanceof TooLargeError)
        throw inputError(`the exposition is ${error.message}`, {
          location: { file: source },
          hint: tooBigHint,
        });
      throw error;
    });
  } else {
    const { readBoundedFile } = await import('../../util/read-input.js');
    bytes = await readBoundedFile(file, 'exposition file', limit, tooBigHint);
  }
  if (flags.format !== undefined && flags.format !== 'text' && flags.format !== 'openmetrics') {
    throw usageError('--format must be text or openmetrics');
  }
  let exposition: import('../../observe/metrics/model.js').Exposition;
  try {
    exposition = parseExposition(bytes, {
      strict: flags.strict === true,
      limits: { maxInputBytes: limit },
      ...(flags.format ? { format: flags.format as 'text' | 'openmetrics' } : {}),
    });
  } catch (error) {
    if (error instanceof ExpositionError) {
      throw inputError(error.message, {
        location: {
          file: source,
          line: error.line,
          ...(error.column ? { column: error.column } : {}),
        },
        hint: error.limit
          ? `vitictl bounds what it parses: lines of ${DEFAULT_LIMITS.maxLineLength} characters, label names of ${DEFAULT_LIMITS.maxLabelNameLength} and values of ${DEFAULT_LIMITS.maxLabelValueLength}, ${DEFAULT_LIMITS.maxLabels} labels, ${DEFAULT_LIMITS.maxSamples} samples (without --strict such lines are skipped)`
          : 'the Prometheus text format 0.0.4 / OpenMetrics 1.0 specification rejects this (without --strict such lines are skipped)',
      });
    }
    throw error;
  }
  if (format === 'json') {
    const { jsonChunks } = await import('../../util/json-chunks.js');
    const { writeChunks } = await import('../../util/atomic-write.js');
    const json = jsonChunks(
      {
        format: exposition.format,
        families: [...exposition.families.values()],
        problems: exposition.problems,
      },
      (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
    );
    // written as it is made: 2,000,000 samples are near V8's longest string as one JSON text
    await writeChunks(
      ctx.io.stdout,
      (function* () {
        yield* json;
        yield '\n';
      })(),
    );
  } else {
    const { renderExposition } = await import('../../render/metrics-views.js');
    ctx.io.stdout.write(renderExposition(exposition, ctx.style, rows));
  }
  return 0;
}

/** Families the parse table shows unless --limit says otherwise: a screenful. */
const DEFAULT_ROWS = 50;

/** Saved scrapes hold every sample of every scrape: 30 minutes of a busy controller is tens of MiB. */
const MAX_SCRAPES_FILE_BYTES = 256 * 2 ** 20;

async function signalsFromFile(ctx: CliContext, file: string) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { readBoundedFile } = await import('../../util/read-input.js');
  const text = (
    await readBoundedFile(
      file,
      'scrapes file',
      MAX_SCRAPES_FILE_BYTES,
      'vitictl reads saved scrapes of up to 256 MiB: scrape a shorter --duration, or fewer families with --select',
    )
  ).toString('utf8');
  const { parseJsonInput } = await import('../../util/json-input.js');
  const { parseSavedScrapes } = await import('../../observe/metrics/saved-scrapes.js');
  const saved = parseSavedScrapes(
    parseJsonInput(text, file, 'scrapes file', 'write it with vitictl metrics scrape … --out FILE'),
    file,
  );
  const { TargetStore } = await import('../../observe/metrics/store.js');
  const { computeSignals } = await import('../../observe/metrics/signals.js');
  const signals = saved.targets.map((target) => computeSignals(TargetStore.load(target)));
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(signals, null, 2)}\n`);
  else {
    const { renderSignals } = await import('../../render/metrics-views.js');
    ctx.io.stdout.write(renderSignals(signals, ctx.style));
  }
  return 0;
}

export function addTargetOptions(command: Command): Command {
  return command
    .option(
      '-l, --selector <selector>',
      'every running pod matching this label selector (in -n), with --port',
    )
    .option('--port <port>', 'the port for pod/service targets and -l')
    .option('--ca <file>', 'URL targets: CA to verify TLS against')
    .option(
      '--bearer-token-file <file>',
      'URL targets: bearer token for secure metrics endpoints (never printed)',
    )
    .option('--insecure-skip-tls-verify', 'URL targets: do not verify TLS (warns)');
}

export function registerMetrics(program: Command, runner: Runner): void {
  const metrics = program
    .command('metrics')
    .description(
      "scrape controllers' Prometheus metrics and turn them into signals (λ, S̄, ρ, queue wait, CPU, memory, GC)",
    )
    .addHelpText(
      'after',
      examples(
        'vitictl metrics scrape http://127.0.0.1:8080/metrics --interval 2s --duration 30s',
        'vitictl metrics parse saved.txt --strict',
      ),
    );

  addTargetOptions(
    metrics
      .command('scrape')
      .argument(
        '[target]',
        'a URL (http://host:port/metrics), pod/NAME:PORT or service/NAME:PORT (through the API server), or -l',
      )
      .description('scrape targets every interval, then print the signals of the window')
      .option('--interval <duration>', 'time between scrapes', '5s')
      .option('--duration <duration>', 'how long to scrape', '60s')
      .option('--once', 'one scrape (signals need at least 3)')
      .option('--select <regex>', 'keep only metric families matching')
      .option('--out <file>', 'save the scrapes (for vitictl metrics signals FILE)')
      .option(
        '--max-exposition-size <MiB>',
        'a scrape whose body (or gunzipped body) is larger fails (default 64)',
      ),
  )
    .addHelpText(
      'after',
      `${examples(
        'vitictl metrics scrape http://127.0.0.1:8080/metrics --interval 1s --duration 30s',
        'vitictl metrics scrape pod/vitistack-operator-0:8080 -n vitistack-system --out scrapes.json',
        'vitictl metrics scrape -l app=vitistack-operator --port 8080 -n vitistack-system -o json',
      )}
Ctrl-C or SIGTERM stops early: the signals of what was scraped are printed and --out is written, exit 130/143.
`,
    )
    .action(bind(runner, scrape));

  metrics
    .command('parse')
    .argument('<file>', 'a saved exposition, or - for stdin')
    .description(
      'parse a Prometheus text 0.0.4 or OpenMetrics 1.0 exposition: families, types, series, exemplars',
    )
    .option('--strict', 'reject what the specification rejects (exit 2 with the line number)')
    .option('--format <format>', 'text or openmetrics (default: OpenMetrics when it ends in "# EOF")')
    .option('--max-exposition-size <MiB>', 'refuse larger input (default 256)')
    .option('--limit <n>', `table: show the first N families, 0 for all (default ${DEFAULT_ROWS})`)
    .addHelpText(
      'after',
      examples(
        'curl -s 127.0.0.1:8080/metrics | vitictl metrics parse -',
        'vitictl metrics parse exposition.txt --limit 0',
        'vitictl metrics parse exposition.txt --strict -o json',
      ),
    )
    .action(bind(runner, parse));

  metrics
    .command('signals')
    .argument('<file>', 'scrapes saved by vitictl metrics scrape --out')
    .description('controller signals from saved scrapes')
    .addHelpText(
      'after',
      examples('vitictl metrics signals scrapes.json', 'vitictl metrics signals scrapes.json -o json'),
    )
    .action(bind(runner, signalsFromFile));
}
