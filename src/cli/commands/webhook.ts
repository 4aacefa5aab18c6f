import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { DEFAULT_MAX_CONNECTIONS } from '../../webhook/phase.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { collect, durationFlag, intFlag, numberFlag, outputFormat, shardFromFlags } from '../flags.js';
import { interruptExitCode } from '../io.js';

interface BenchFlags {
  url?: string;
  webhook?: string;
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  rate?: string;
  connections?: string;
  maxConnections?: string;
  duration?: string;
  requests?: string;
  warmup?: string;
  scenario?: string;
  objects?: string;
  crd?: string[];
  operations?: string;
  dryRunShare?: string;
  timeoutSeconds?: string;
  failurePolicy?: string;
  mutating?: boolean;
  insecureSkipTlsVerify?: boolean;
  out?: string;
  shard?: string;
  runId?: string;
}

const DEFAULT_RATE = 100;
/**
 * What one generator process may be asked for. Measured: ~5,000 req/s open loop and ~13,000 closed
 * loop on one core; 50,000/s leaves room for faster machines and refuses rates it can only fall behind
 * on (beyond it, --shard). Connections are sockets (file descriptors); a day is the longest run.
 */
const BENCH_LIMITS = {
  ratePerGenerator: 50_000,
  connections: 10_000,
  requests: 1_000_000_000,
  durationMs: 24 * 3_600_000,
  warmupMs: 3_600_000,
} as const;

function atMost(flag: string, value: number | undefined, max: number, hint: string, shown = String(value)) {
  if (value !== undefined && value > max) {
    throw usageError(`${flag} ${shown} is more than vitictl allows (${max.toLocaleString('en-US')})`, hint);
  }
}

/** Flags → load and limits; exported for the argv → options table test. */
export function benchLoadFromFlags(flags: BenchFlags, shards = 1) {
  const rate = numberFlag('--rate', flags.rate, 0.001);
  const connections = intFlag('--connections', flags.connections, 1);
  const maxConnections = intFlag('--max-connections', flags.maxConnections, 1);
  atMost(
    '--rate',
    rate,
    BENCH_LIMITS.ratePerGenerator * shards,
    `one generator sends at most ${BENCH_LIMITS.ratePerGenerator.toLocaleString('en-US')}/s: split higher rates over processes with --shard i/N`,
  );
  atMost('--connections', connections, BENCH_LIMITS.connections, 'each connection is a socket; use fewer');
  atMost(
    '--max-connections',
    maxConnections,
    BENCH_LIMITS.connections,
    'each connection is a socket; use fewer',
  );
  if (rate !== undefined && connections !== undefined) {
    throw usageError(
      '--rate and --connections exclude each other',
      '--rate R paces an open loop (latency from the intended start); --connections C keeps C requests in flight',
    );
  }
  if (maxConnections !== undefined && connections !== undefined) {
    throw usageError('--max-connections is for the open loop (--rate); --connections sets the closed loop');
  }
  const durationMs = durationFlag('--duration', flags.duration);
  const requests = intFlag('--requests', flags.requests, 1);
  if (durationMs !== undefined && requests !== undefined)
    throw usageError('--duration and --requests exclude each other');
  if (durationMs !== undefined && durationMs <= 0) throw usageError('--duration must be above 0');
  atMost('--requests', requests, BENCH_LIMITS.requests, 'measure a sample, not everything');
  atMost('--duration', durationMs, BENCH_LIMITS.durationMs, 'a bench runs at most 24h', flags.duration);
  const warmupMs = durationFlag('--warmup', flags.warmup) ?? 1000;
  atMost('--warmup', warmupMs, BENCH_LIMITS.warmupMs, 'a warm-up of seconds is plenty', flags.warmup);
  const timeoutSeconds = intFlag('--timeout-seconds', flags.timeoutSeconds, 1);
  if (timeoutSeconds !== undefined && timeoutSeconds > 30) {
    throw usageError(`--timeout-seconds must be 1–30, as the API server allows (got ${timeoutSeconds})`);
  }
  const dryRunShare = numberFlag('--dry-run-share', flags.dryRunShare, 0) ?? 0;
  if (dryRunShare > 1) throw usageError(`--dry-run-share is a fraction 0–1 (got ${dryRunShare})`);
  const failurePolicy = flags.failurePolicy;
  if (failurePolicy !== undefined && failurePolicy !== 'Fail' && failurePolicy !== 'Ignore') {
    throw usageError(`--failure-policy must be Fail or Ignore (got "${failurePolicy}")`);
  }
  return {
    load:
      connections !== undefined
        ? { engine: 'closed' as const, connections }
        : {
            engine: 'open' as const,
            rate: rate ?? DEFAULT_RATE,
            maxConnections: maxConnections ?? DEFAULT_MAX_CONNECTIONS,
          },
    limit: requests !== undefined ? { requests } : { durationMs: durationMs ?? 10_000 },
    warmupMs,
    timeoutSeconds,
    dryRunShare,
    failurePolicy: failurePolicy as 'Fail' | 'Ignore' | undefined,
  };
}

async function bench(ctx: CliContext, flags: BenchFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const shard = await shardFromFlags(flags);
  const parsed = benchLoadFromFlags(flags, shard?.count);
  const { parseOperations, DEFAULT_OPERATIONS } = await import('../../webhook/admission-review.js');
  const { prepareWebhookBench } = await import('../../webhook/prepare.js');
  const { runWebhookBench } = await import('../../webhook/engine.js');
  const { newRunId } = await import('../../report/run-id.js');
  const prepared = await prepareWebhookBench({
    url: flags.url,
    webhook: flags.webhook,
    caFile: flags.ca,
    certFile: flags.cert,
    keyFile: flags.key,
    serverName: flags.serverName,
    insecure: flags.insecureSkipTlsVerify === true,
    load: parsed.load,
    limit: parsed.limit,
    warmupMs: parsed.warmupMs,
    scenario: flags.scenario,
    objectsFile: flags.objects,
    crdFiles: flags.crd ?? [],
    operations: flags.operations === undefined ? DEFAULT_OPERATIONS : parseOperations(flags.operations),
    dryRunShare: parsed.dryRunShare,
    timeoutSeconds: parsed.timeoutSeconds,
    failurePolicy: parsed.failurePolicy,
    type: flags.mutating ? 'mutating' : undefined,
    runId: flags.runId ?? newRunId(),
    shard,
    kube: { kubeconfig: ctx.globals.kubeconfig, context: ctx.globals.context, env: ctx.io.env },
  });
  for (const warning of prepared.warnings) ctx.warn(warning);
  const signal = ctx.io.interrupt(() =>
    ctx.io.stderr.write('\ninterrupted twice: stopped without a result\n'),
  );
  signal.addEventListener('abort', () => ctx.info('\ninterrupt: stopping, reporting what was measured'), {
    once: true,
  });
  let lastLine = 0;
  const run = await runWebhookBench({
    ...prepared.options,
    signal,
    onPhase: (name) => ctx.info(`webhook bench: ${name}`),
    onProgress: (p) => {
      // a line every 5 s: progress stays readable in CI logs
      if (p.elapsedSeconds - lastLine < 5) return;
      lastLine = p.elapsedSeconds;
      ctx.info(
        `  ${p.elapsedSeconds.toFixed(0)}s: sent ${p.sent}, answered ${p.completed}, in flight ${p.inFlight}`,
      );
    },
  });
  for (const warning of run.warnings) ctx.warn(warning);
  const { result } = run;
  if (flags.out) {
    const { writeChunks, writeFileAtomically } = await import('../../util/atomic-write.js');
    const text = `${JSON.stringify(result, null, 2)}\n`;
    await writeFileAtomically(flags.out, (stream) => writeChunks(stream, [text]));
  }
  if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { renderWebhookSummary } = await import('../../render/webhook-views.js');
    ctx.io.stdout.write(renderWebhookSummary(result.webhook, ctx.style));
  }
  if (result.interrupted) return interruptExitCode(signal);
  return result.webhook.failurePolicy.failedCalls > 0 ? 1 : 0;
}

export function registerWebhook(program: Command, runner: Runner): void {
  const webhook = program
    .command('webhook')
    .description('drive AdmissionReview traffic at an admission webhook');
  webhook
    .command('bench')
    .description(
      'send AdmissionReview v1 requests like the API server does (open loop at a rate, or closed loop), check every answer as it would, report latency',
    )
    .option('--url <url>', 'the webhook, https://host:port/path (as in clientConfig.url)')
    .option(
      '--webhook <name>',
      'read URL, caBundle, timeoutSeconds, failurePolicy and rules from a Validating/MutatingWebhookConfiguration (NAME, NAME/WEBHOOK or a webhook name)',
    )
    .option(
      '--ca <file>',
      "CA bundle (PEM) to verify the webhook's certificate (default: the configuration's caBundle, else system roots)",
    )
    .option('--cert <file>', 'client certificate (PEM) for webhooks that require one')
    .option('--key <file>', 'client key (PEM) for --cert')
    .option('--server-name <name>', 'TLS server name (SNI and certificate check), e.g. svc.namespace.svc')
    .option(
      '--rate <r>',
      `open loop: start R requests per second on an even schedule (default ${DEFAULT_RATE})`,
    )
    .option('--connections <c>', 'closed loop: keep C requests in flight (autocannon) for maximum throughput')
    .option(
      '--max-connections <n>',
      `open loop: at most N connections (default ${DEFAULT_MAX_CONNECTIONS}; more requests wait, and the wait is latency)`,
    )
    .option('--duration <d>', 'measured time, e.g. 30s (default 10s)')
    .option('--requests <n>', 'measured requests instead of a duration')
    .option('--warmup <d>', 'discarded warm-up before measuring (default 1s; 0s for none)')
    .option('--scenario <file|name>', 'objects from a scenario (default: machines)')
    .option('--objects <file>', 'objects from a YAML/JSON file (multi-document or kind: List)')
    .option('--crd <file>', 'CRD manifest(s) for kinds not built in (repeatable)', collect)
    .option('--operations <spec>', 'operation mix, e.g. CREATE=80,UPDATE=15,DELETE=5 (default CREATE)')
    .option('--dry-run-share <p>', 'fraction of requests with dryRun: true, 0–1 (default 0)')
    .option(
      '--timeout-seconds <s>',
      "the webhook's timeoutSeconds, 1–30 (default: the configuration's, else 10)",
    )
    .option('--failure-policy <policy>', "Fail or Ignore (default: the configuration's, else Fail)")
    .option(
      '--mutating',
      'check answers as for a mutating webhook (default: validating, or the configuration kind)',
    )
    .option(
      '--insecure-skip-tls-verify',
      'do not verify the certificate (warned about and recorded in the result)',
    )
    .option('--out <file>', 'write the RunResult JSON here (atomically)')
    .option('--run-id <id>', 'run id recorded in the result (default: generated; shards share one)')
    .option(
      '--shard <i/N>',
      'send shard i of N (0-based): every Nth object, 1/N of --rate, --connections and --requests; merge with vitictl report merge',
    )
    .addHelpText(
      'after',
      `${examples(
        'vitictl webhook bench --url https://127.0.0.1:9443/validate-machine --ca ca.crt --rate 500 --duration 30s',
        'vitictl webhook bench --webhook vitictl-lab-operator --rate 2000 --operations CREATE=80,UPDATE=20',
        'vitictl webhook bench --webhook my-webhooks/vpod.example.com --url https://127.0.0.1:8443/validate --connections 32',
        'vitictl webhook bench --url https://127.0.0.1:9443/validate-machine --ca ca.crt --objects machines.yaml --requests 10000 -o json',
        'vitictl webhook bench --webhook vitictl-lab-operator --rate 6000 --run-id wh-1 --shard 2/3 --out wh-2.json',
      )}
Open loop (--rate, default): starts follow an even schedule; latency = answer − intended start, so a
stalled webhook shows as latency, not as missing samples. Closed loop (--connections): autocannon at
maximum throughput; it cannot verify TLS, so the verified preflight is all that is verified.
Every run starts with a verified TLS connection and one AdmissionReview: a wrong CA, name or an expired
certificate stops it there. A webhook reached through a Service: kubectl port-forward, then --webhook
NAME --url https://127.0.0.1:PORT/PATH (the server name defaults to SVC.NAMESPACE.svc).
Exit 0 when every answer passed the API server's checks (allowed or denied), 1 when any call failed
(HTTP error, timeout, an answer the API server would reject) or on a runtime error, 2 for bad input,
130 on Ctrl-C (the partial result is still reported).
`,
    )
    .action(bind(runner, async (ctx, flags: BenchFlags) => bench(ctx, flags)));
}
