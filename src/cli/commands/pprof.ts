import type { Command } from 'commander';
import { inputError, interruptedError, usageError } from '../../errors.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { intFlag, mibFlag, numberFlag, outputFormat } from '../flags.js';
import { addTargetOptions, targetOptions } from './metrics.js';

// kept here, not imported from observe/pprof/capture.ts, so `vitictl --help` loads nothing heavy
const PROFILES = ['cpu', 'heap', 'allocs', 'goroutine', 'mutex', 'block'] as const;
type Profile = (typeof PROFILES)[number];

type TargetFlags = Parameters<typeof targetOptions>[1];

interface CaptureFlags extends TargetFlags {
  profile: string;
  seconds?: string;
  debug?: string;
  out?: string;
  maxProfileSize?: string;
}

interface TopFlags {
  sampleIndex?: string;
  cum?: boolean;
  nodes?: string;
  nodeCount?: string;
  nodeFraction?: string;
  diffBase?: string;
  focus?: string;
  maxProfileSize?: string;
}

async function capture(ctx: CliContext, spec: string | undefined, flags: CaptureFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  if (!(PROFILES as readonly string[]).includes(flags.profile)) {
    throw usageError(`--profile ${flags.profile} is not a profile`, `use one of: ${PROFILES.join(', ')}`);
  }
  const profile = flags.profile as Profile;
  const seconds = intFlag('--seconds', flags.seconds, 1);
  const debug = intFlag('--debug', flags.debug, 0);
  if (debug !== undefined && debug !== 0 && debug !== 2) throw usageError('--debug must be 0 or 2');
  const maxBytes = mibFlag('--max-profile-size', flags.maxProfileSize);
  const { resolve } = await import('node:path');
  const outDir = resolve(ctx.io.cwd, flags.out ?? '.');
  const { ensureOutDir } = await import('../../util/out-dir.js');
  await ensureOutDir(outDir, '--out');
  const { captureProfile, profilePath } = await import('../../observe/pprof/capture.js');
  profilePath({ profile, seconds, debug: debug === 2 ? 2 : 0 }); // flag errors before connecting
  const { resolveTargets } = await import('../../observe/target.js');
  const targets = await resolveTargets(spec, targetOptions(ctx, flags));
  const signal = ctx.io.interrupt(() => undefined);
  const wait = profile === 'cpu' ? ` (${seconds ?? 30}s)` : '';
  ctx.info(`capturing ${profile}${wait} from ${targets.map((t) => t.name).join(', ')}`);
  try {
    const results = await Promise.all(
      targets.map((target) =>
        captureProfile(target, {
          profile,
          seconds,
          debug: debug === 2 ? 2 : 0,
          outDir,
          signal,
          maxBytes,
        }).catch((error: unknown) => {
          if (signal.aborted) throw interruptedError('interrupted: nothing was saved', signal);
          throw error;
        }),
      ),
    );
    if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else {
      const { renderCaptures } = await import('../../render/pprof-views.js');
      ctx.io.stdout.write(renderCaptures(results, ctx.style));
    }
    return 0;
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}

async function top(ctx: CliContext, file: string, flags: TopFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  if (flags.nodes !== undefined && flags.nodeCount !== undefined)
    throw usageError('--nodes and --node-count are the same flag: give one');
  const nodeCount = intFlag(
    flags.nodes !== undefined ? '--nodes' : '--node-count',
    flags.nodes ?? flags.nodeCount,
    0,
  );
  const nodeFraction = numberFlag('--node-fraction', flags.nodeFraction, 0);
  if (nodeFraction !== undefined && nodeFraction > 1)
    throw usageError('--node-fraction must be between 0 and 1');
  const { resolve } = await import('node:path');
  const { readProfileFile } = await import('../../observe/pprof/decode.js');
  const { topReport } = await import('../../observe/pprof/top.js');
  const maxBytes = mibFlag('--max-profile-size', flags.maxProfileSize);
  const profile = await readProfileFile(resolve(ctx.io.cwd, file), maxBytes);
  const base = flags.diffBase
    ? await readProfileFile(resolve(ctx.io.cwd, flags.diffBase), maxBytes)
    : undefined;
  const report = topReport(profile, {
    sampleIndex: flags.sampleIndex,
    cum: flags.cum === true,
    nodeCount: nodeCount ?? 20,
    nodeFraction,
    focus: flags.focus,
    base,
  });
  for (const note of report.notes) ctx.warn(note);
  const { renderTop, topLabels } = await import('../../render/pprof-views.js');
  if (format === 'json')
    ctx.io.stdout.write(`${JSON.stringify({ ...report, labels: topLabels(report) }, null, 2)}\n`);
  else ctx.io.stdout.write(renderTop(report));
  return 0;
}

async function goroutines(
  ctx: CliContext,
  spec: string | undefined,
  flags: TargetFlags & { top?: string; maxProfileSize?: string },
) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const topN = intFlag('--top', flags.top, 1);
  const { DEFAULT_MAX_PROFILE_BYTES, TOO_BIG_HINT } = await import('../../observe/pprof/decode.js');
  const maxBytes = mibFlag('--max-profile-size', flags.maxProfileSize) ?? DEFAULT_MAX_PROFILE_BYTES;
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const { parseGoroutineDump, summarizeGoroutines } = await import('../../observe/pprof/goroutines.js');
  const dumps: Array<{ source: string; text: string }> = [];
  const path = spec === undefined ? undefined : resolve(ctx.io.cwd, spec);
  if (path !== undefined && !flags.selector && existsSync(path)) {
    const { readBoundedFile } = await import('../../util/read-input.js');
    const data = await readBoundedFile(path, 'goroutine dump', maxBytes, TOO_BIG_HINT);
    if (data[0] === 0x1f && data[1] === 0x8b) {
      throw inputError(`${spec} is a gzipped profile, not a goroutine stack dump`, {
        hint: 'save the dump with vitictl pprof capture TARGET --profile goroutine --debug 2 (states are only in the text dump)',
      });
    }
    dumps.push({ source: spec!, text: data.toString('utf8') });
  } else {
    const { resolveTargets } = await import('../../observe/target.js');
    const { fetchGoroutineDump } = await import('../../observe/pprof/capture.js');
    const targets = await resolveTargets(spec, targetOptions(ctx, flags));
    const signal = ctx.io.interrupt(() => undefined);
    try {
      for (const target of targets)
        dumps.push({
          source: target.name,
          text: await fetchGoroutineDump(target, maxBytes, signal).catch((error: unknown) => {
            if (signal.aborted) throw interruptedError('interrupted: no goroutine dump was read', signal);
            throw error;
          }),
        });
    } finally {
      await Promise.all(targets.map((target) => target.close()));
    }
  }
  const summaries = dumps.map((dump) => ({
    source: dump.source,
    summary: summarizeGoroutines(parseGoroutineDump(dump.text, dump.source), topN ? { top: topN } : {}),
  }));
  if (format === 'json') {
    ctx.io.stdout.write(`${JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2)}\n`);
  } else {
    const { renderGoroutines } = await import('../../render/pprof-views.js');
    ctx.io.stdout.write(summaries.map((s) => renderGoroutines(s.summary, ctx.style, s.source)).join('\n'));
  }
  return 0;
}

export function registerPprof(program: Command, runner: Runner): void {
  const pprof = program
    .command('pprof')
    .description('capture Go pprof profiles from a controller and read them (top, goroutine states)')
    .addHelpText(
      'after',
      examples(
        'vitictl pprof capture http://127.0.0.1:6060 --profile cpu --seconds 10',
        'vitictl pprof top 127.0.0.1-6060-cpu-20260101T120000.000Z.pb.gz',
        'vitictl pprof goroutines http://127.0.0.1:6060',
      ),
    );

  addTargetOptions(
    pprof
      .command('capture')
      .argument(
        '[target]',
        'a URL (http://host:port, or …/debug/pprof), pod/NAME:PORT or service/NAME:PORT (through the API server), or -l',
      )
      .description('fetch a profile from /debug/pprof and save it as served (.pb.gz, opens in go tool pprof)')
      .requiredOption('--profile <profile>', `one of ${PROFILES.join(', ')}`)
      .option('--seconds <n>', 'cpu: how long to sample (default 30); others: a delta profile over N seconds')
      .option('--debug <level>', 'with --profile goroutine: 2 saves the text stack dump (.txt) instead')
      .option('--out <dir>', 'directory for the files, named TARGET-PROFILE-TIMESTAMP.pb.gz (default: .)')
      .option(
        '--max-profile-size <MiB>',
        'refuse profiles larger than this, as served or decompressed (default 256)',
      ),
  )
    .addHelpText(
      'after',
      `${examples(
        'vitictl pprof capture http://127.0.0.1:6060 --profile cpu --seconds 10 --out profiles/',
        'vitictl pprof capture pod/vitistack-operator-0:6060 -n vitistack-system --profile heap',
        'vitictl pprof capture -l app=vitistack-operator --port 6060 -n vitistack-system --profile allocs --seconds 30',
        'vitictl pprof capture http://127.0.0.1:6060 --profile goroutine --debug 2',
      )}
Go allows one CPU profile per process at a time: a second capture while one runs fails (HTTP 500).
The operator must serve pprof: PprofBindAddress in the manager options (monitoring.enableProfiling).
`,
    )
    .action(bind(runner, capture));

  pprof
    .command('top')
    .argument('<file>', 'a profile (.pb.gz, or uncompressed profile.proto)')
    .description('the functions with the most flat (or cum) value, as go tool pprof -top prints them')
    .option(
      '--sample-index <name>',
      "value to report (e.g. alloc_space, inuse_objects, or a number; default: the profile's default, else its last)",
    )
    .option('--cum', 'sort by cumulative value')
    .option(
      '--nodes <n>',
      'show at most N functions (default 20; 0: all above the cutoff). Not -n: that is the namespace',
    )
    .option('--node-count <n>', 'the same as --nodes (go tool pprof calls it -nodecount)')
    .option(
      '--node-fraction <f>',
      'hide functions whose cum is below this share of the total (default 0.005)',
    )
    .option(
      '--diff-base <file>',
      'subtract this profile first (percentages are of its total, like -diff_base)',
    )
    .option('--focus <regex>', 'keep only samples with a frame whose function, file or binary matches')
    .option('--max-profile-size <MiB>', 'refuse profiles that decompress to more than this (default 256)')
    .addHelpText(
      'after',
      `${examples(
        'vitictl pprof top cpu.pb.gz',
        'vitictl pprof top heap.pb.gz --sample-index alloc_space --nodes 30',
        'vitictl pprof top cpu.pb.gz --cum --focus Reconcile',
        'vitictl pprof top heap-after.pb.gz --diff-base heap-before.pb.gz',
        'vitictl pprof top cpu.pb.gz --nodes 0 -o json',
      )}
flat: the value spent in the function itself; cum: in it and everything it called (each sample counted
once per function, recursion once); numbers and rounding as go tool pprof -top -nodecount=N prints them.
`,
    )
    .action(bind(runner, top));

  addTargetOptions(
    pprof
      .command('goroutines')
      .argument('[target|file]', 'a goroutine?debug=2 dump file, or a target as for capture')
      .description(
        'summarise a goroutine dump: states and wait times, worker pools, the largest identical stacks',
      )
      .option('--top <n>', 'how many stack groups to show (default 10)')
      .option('--max-profile-size <MiB>', 'refuse dumps larger than this (default 256)'),
  )
    .addHelpText(
      'after',
      examples(
        'vitictl pprof goroutines http://127.0.0.1:6060',
        'vitictl pprof goroutines pod/vitistack-operator-0:6060 -n vitistack-system -o json',
        'vitictl pprof goroutines dump.txt --top 20',
      ),
    )
    .action(bind(runner, goroutines));
}
