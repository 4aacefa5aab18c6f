import type { Command } from 'commander';
import { runtimeError, usageError } from '../../errors.js';
import type { KubeRest } from '../../kube/rest.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { durationFlag, numberFlag, outputFormat } from '../flags.js';
import { againToQuit, interruptExitCode } from '../io.js';

interface CleanupFlags {
  runId?: string;
  crd?: string[];
  qps?: string;
  retryTimeout?: string;
}

async function cleanup(ctx: CliContext, scenario: string | undefined, flags: CleanupFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  if (!flags.runId)
    throw usageError(
      '--run-id is required',
      'the run id is in the RunResult (runId) and on every object as vitictl.io/run-id',
    );
  const { labelValueProblem } = await import('../../scenario/validate-object.js');
  const runId = flags.runId;
  const problem = labelValueProblem(runId);
  if (problem) throw usageError(`invalid --run-id: ${problem}`);
  const qps = numberFlag('--qps', flags.qps, 0.001);
  const retryMs = durationFlag('--retry-timeout', flags.retryTimeout) ?? 90_000;
  let toldRetrying = false;
  // discovery is retried like the deletes after it: a cleanup started while the API server restarts waits for it
  const retry = {
    retryMs,
    onRetry: (why: string) => {
      if (toldRetrying) return;
      toldRetrying = true;
      ctx.info(
        `the API server: ${why}; retrying each request for up to ${retryMs / 1000} s (--retry-timeout)`,
      );
    },
  };
  const { connect } = await import('../../kube/connect.js');
  const { KubeRest } = await import('../../kube/rest.js');
  const { cleanupRun } = await import('../../kube/cleanup.js');
  const { discoverKinds } = await import('../../kube/discovery.js');
  const connection = await connect({
    kubeconfig: ctx.globals.kubeconfig,
    context: ctx.globals.context,
    env: ctx.io.env,
  });
  const rest = await KubeRest.create(connection, { connections: 24 });
  try {
    // rejected credentials or an unreachable server end here, before anything claims "deleted 0"
    const { serverVersion } = await import('../../kube/discovery.js');
    await serverVersion(rest, retry);
    let resources: import('../../kube/discovery.js').ApiResource[];
    if (scenario) {
      const { prepareScenario } = await import('../../scenario/prepare.js');
      const { plan } = await prepareScenario({ scenario, crdFiles: flags.crd ?? [], runId: flags.runId });
      const found = await discoverKinds(
        rest,
        plan.sets.map((set) => ({ apiVersion: set.spec.apiVersion, kind: set.spec.kind })),
        retry,
      );
      resources = plan.sets.map((set) => found.get(`${set.spec.apiVersion}/${set.spec.kind}`)!);
    } else {
      const { deletableResources } = await import('../../kube/run-resources.js');
      resources = await deletableResources(rest, retry);
    }
    const namespaces = await namespacesOfRun(rest, flags.runId, retryMs);
    const signal = ctx.io.interrupt(() =>
      ctx.io.stderr.write(
        `\ninterrupted twice: stopped at once; vitictl cleanup --run-id ${runId} removes the rest\n`,
      ),
    );
    signal.addEventListener(
      'abort',
      () =>
        ctx.info(`\ninterrupt: starting no more deletes, accounting what was done ${againToQuit(signal)}`),
      { once: true },
    );
    const result = await cleanupRun(rest, {
      runId,
      resources,
      createdNamespaces: namespaces,
      retryMs,
      qps,
      onProgress: (line) => ctx.info(line),
      signal,
    });
    const { cleanupIncomplete } = await import('../../report/sections/cleanup.js');
    if (format === 'json') ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const { cleanupText } = await import('../../render/summary-text.js');
      ctx.io.stdout.write(`run ${flags.runId}: ${cleanupText(result)}\n`);
      if (result.leftBehind.length > 0)
        ctx.io.stdout.write(
          `still there: ${result.leftBehind.slice(0, 5).join(', ')}${result.leftBehind.length > 5 ? ' …' : ''}\n`,
        );
      if (result.note) ctx.io.stdout.write(`note: ${result.note}\n`);
    }
    if (!cleanupIncomplete(result)) return 0;
    ctx.warn(`objects of run ${runId} may remain; run vitictl cleanup --run-id ${runId} again`);
    return result.interrupted ? interruptExitCode(signal) : 1;
  } finally {
    await rest.close();
  }
}

/** Namespaces this run created (they carry its label). */
async function namespacesOfRun(rest: KubeRest, runId: string, retryMs: number): Promise<string[]> {
  const { RUN_ID_LABEL } = await import('../../kube/labels.js');
  const { requestWithRetry, newRetryCounters } = await import('../../kube/retry.js');
  const { statusMessage } = await import('../../kube/rest.js');
  const answer = await requestWithRetry(
    rest,
    'GET',
    `/api/v1/namespaces?labelSelector=${encodeURIComponent(`${RUN_ID_LABEL}=${runId}`)}`,
    { timeoutMs: 60_000 },
    { deadline: performance.now() + retryMs, counters: newRetryCounters(), initialBackoffMs: 250 },
  );
  if (!answer.ok) throw runtimeError(`listing the namespaces of run ${runId} failed: ${answer.reason}`);
  if (answer.response.status !== 200)
    throw runtimeError(
      `listing the namespaces of run ${runId} failed: ${answer.response.status} ${statusMessage(answer.response)}`,
      { hint: 'vitictl cleanup needs list on namespaces (and list/delete on the run’s kinds)' },
    );
  const body = answer.response.body as { items?: Array<{ metadata: { name: string } }> };
  return (body.items ?? []).map((item) => item.metadata.name);
}

export function registerCleanup(program: Command, runner: Runner): void {
  program
    .command('cleanup')
    .argument(
      '[scenario]',
      'the scenario of the run (limits the search to its kinds); omitted: every deletable kind',
    )
    .description('delete what one run created: objects labelled vitictl.io/run-id=<id>, then its namespaces')
    .option('--run-id <id>', 'the run to clean up (required)')
    .option(
      '--crd <file>',
      'CRD manifest(s) for a scenario with kinds not built in (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--qps <q>', 'start at most Q requests (LIST pages, DELETEs) per second (default: no limit)')
    .option(
      '--retry-timeout <duration>',
      'how long each request is retried on 429, 5xx and dropped connections',
      '90s',
    )
    .addHelpText(
      'after',
      `${examples('vitictl cleanup --run-id 20261126-071502-3fa9', 'vitictl cleanup machines --run-id demo-1 -o json')}
Only objects carrying the label vitictl.io/run-id=<id> are deleted, and namespaces with that label.
Every request, discovery included, is retried on 429 (Retry-After), 5xx and dropped connections for up
to --retry-timeout (90 s) each, so a cleanup outlives an API-server restart.
The run's namespaces are deleted last and waited for (up to 2 minutes; their time is in the result).
Ctrl-C or SIGTERM starts no more deletes and prints what was done (exit 130/143).
Exit 1 when something could not be deleted, was still there after 2 minutes (finalizers; a namespace
still Terminating included), or could not be listed; rejected credentials (401) are an error before
anything is deleted.
`,
    )
    .action(bind(runner, cleanup));
}
