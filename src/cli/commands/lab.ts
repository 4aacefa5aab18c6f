import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { bind, examples, type Runner } from '../command.js';
import type { CliContext } from '../context.js';
import { collect, intFlag, numberFlag, outputFormat } from '../flags.js';

interface UpFlags {
  workers?: string;
  provisionTime?: string;
  provisionTimeFor?: string[];
  apiCalls?: string;
  failureRate?: string;
  webhookLatency?: string;
  config?: string;
  operator: boolean;
  webhook: boolean;
  unsafeNoFsync?: boolean;
}

function provisionTimesByKind(entries: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1)
      throw usageError(
        `--provision-time-for needs KIND=DISTRIBUTION (got "${entry}")`,
        'e.g. --provision-time-for KubernetesCluster=lognormal:median=2s,p99=10s',
      );
    out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

async function up(ctx: CliContext, flags: UpFlags) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { labUp } = await import('../../lab/lab.js');
  let performanceYaml: string | undefined;
  if (flags.config) {
    const { readPerformanceConfig } = await import('../../lab/performance-file.js');
    performanceYaml = await readPerformanceConfig(flags.config);
  }
  const workers = intFlag('--workers', flags.workers, 1);
  const apiCalls = intFlag('--api-calls', flags.apiCalls, 0);
  const failureRate = numberFlag('--failure-rate', flags.failureRate, 0);
  const result = await labUp(
    {
      ...(workers === undefined ? {} : { workers }),
      ...(performanceYaml === undefined ? {} : { performanceYaml }),
      ...(flags.provisionTime === undefined ? {} : { provisionTime: flags.provisionTime }),
      ...(flags.provisionTimeFor === undefined
        ? {}
        : { provisionTimeFor: provisionTimesByKind(flags.provisionTimeFor) }),
      ...(apiCalls === undefined ? {} : { apiCallsPerReconcile: apiCalls }),
      ...(failureRate === undefined ? {} : { failureRate }),
      ...(flags.webhookLatency === undefined ? {} : { webhookLatency: flags.webhookLatency }),
      operator: flags.operator,
      webhook: flags.webhook,
      unsafeNoFsync: flags.unsafeNoFsync === true,
      env: ctx.io.env,
      signal: ctx.io.interrupt(() =>
        ctx.io.stderr.write('\ninterrupted twice: stopped at once; what lab up had started may still run\n'),
      ),
    },
    (line) => ctx.info(`lab: ${line}`),
  );
  const { state } = result;
  if (format === 'json') {
    const restarted = result.alreadyRunning ? [] : result.restarted;
    ctx.io.stdout.write(
      `${JSON.stringify({ alreadyRunning: result.alreadyRunning, restarted, ...state }, null, 2)}\n`,
    );
    return 0;
  }
  if (result.alreadyRunning) {
    ctx.io.stdout.write(
      `a lab is already running (kube-apiserver ${state.kubernetesVersion} on :${state.ports.apiserver}); nothing done\n`,
    );
  } else if (result.restarted.length > 0) {
    ctx.io.stdout.write(
      `lab restarted in ${result.seconds.toFixed(1)}s: ${result.restarted.join(', ')} started again on the lab's data, ports and certificates (kube-apiserver at https://127.0.0.1:${state.ports.apiserver}); what it stored is kept\n`,
    );
  } else {
    ctx.io.stdout.write(
      `lab up in ${result.seconds.toFixed(1)}s: kube-apiserver ${state.kubernetesVersion} at https://127.0.0.1:${state.ports.apiserver}, etcd, kube-controller-manager, ` +
        `${state.components.operator ? 'the reference operator' : 'no operator'}\n`,
    );
  }
  ctx.io.stdout.write(
    [
      '',
      'next:',
      `  export KUBECONFIG=${state.kubeconfig}      # or: eval "$(vitictl lab env)"`,
      '  kubectl get crd',
      '  vitictl scenario generate machines --count 100 | kubectl apply -f -',
      `  curl -s 127.0.0.1:${state.ports.metrics}/metrics | grep controller_runtime_reconcile_total`,
      '  vitictl lab status · vitictl lab down',
      '',
    ].join('\n'),
  );
  return 0;
}

async function down(ctx: CliContext) {
  const { labDown } = await import('../../lab/lab.js');
  const result = await labDown(undefined, (line) => ctx.info(`lab: ${line}`));
  if (!result.wasRunning) {
    ctx.io.stdout.write('no lab state found; removed what was left of the lab directory\n');
    return 0;
  }
  for (const entry of result.stopped)
    ctx.io.stdout.write(`${entry.component} (pid ${entry.pid}): ${entry.outcome}\n`);
  ctx.io.stdout.write('lab down: state removed\n');
  return 0;
}

async function status(ctx: CliContext) {
  const format = outputFormat(ctx, ['table', 'json'] as const, 'table');
  const { labStatus } = await import('../../lab/lab.js');
  const result = await labStatus();
  if (format === 'json') {
    ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.state ? 0 : 1;
  }
  if (!result.state) {
    ctx.io.stdout.write('no lab is running (vitictl lab up starts one)\n');
    return 1;
  }
  const { renderLabStatus } = await import('../../render/lab-views.js');
  ctx.io.stdout.write(renderLabStatus(result.state, result.components, ctx.style));
  return result.components.every((component) => component.running && component.healthy) ? 0 : 1;
}

async function env(ctx: CliContext) {
  const { readState, labDir } = await import('../../lab/state.js');
  const state = await readState(labDir(ctx.io.env));
  if (!state) {
    const { runtimeError } = await import('../../errors.js');
    throw runtimeError('no lab is running', { hint: 'vitictl lab up' });
  }
  ctx.io.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
  return 0;
}

export function registerLab(program: Command, runner: Runner): void {
  const lab = program
    .command('lab')
    .description(
      'a local, real control plane (kube-apiserver, kube-controller-manager and etcd built from Go modules) with the reference VitiStack operator',
    )
    .addHelpText(
      'after',
      examples('vitictl lab up', 'eval "$(vitictl lab env)"', 'vitictl lab status', 'vitictl lab down'),
    );

  lab
    .command('up')
    .description(
      'build what is missing, start etcd, kube-apiserver, kube-controller-manager and the operator, install CRDs, config and webhook',
    )
    .option(
      '--workers <n>',
      'operator workers (MaxConcurrentReconciles) in the initial performance config',
      '4',
    )
    .option('--config <file>', 'initial performance config: a ConfigMap manifest or a performance.yaml')
    .option(
      '--provision-time <dist>',
      'simulated provisioning time, e.g. fixed:200ms, uniform:100ms-300ms, lognormal:median=200ms,p99=1s',
    )
    .option(
      '--provision-time-for <kind=dist>',
      'the provisioning time of one kind instead of --provision-time (repeatable)',
      collect,
    )
    .option('--api-calls <n>', 'API calls the operator makes per reconcile')
    .option('--failure-rate <p>', 'share of objects the operator fails (0..1)')
    .option(
      '--webhook-latency <dist>',
      'simulated time the webhook takes per admission request, e.g. fixed:100ms',
    )
    .option('--no-operator', 'start only etcd, kube-apiserver and kube-controller-manager')
    .option('--no-webhook', 'do not serve or register the validating webhook')
    .option('--unsafe-no-fsync', 'etcd without fsync: faster, for tests only (never for figures you report)')
    .addHelpText(
      'after',
      `${examples('vitictl lab up', 'vitictl lab up --workers 1 --provision-time fixed:200ms', 'vitictl lab up --config tuned-configmap.yaml -o json')}
The first run builds kube-apiserver and etcd from Go modules (~7 min on 2 cores) and caches them in
~/.cache/vitictl/lab; later runs start in seconds. A second 'up' while a lab runs does nothing; when
some of its processes died, 'up' starts those again on the same data, ports and certificates (stored
objects survive), or refuses when it cannot ('vitictl lab down' then starts fresh). State lives in
.lab/ (or $VITICTL_LAB_DIR).
`,
    )
    .action(bind(runner, up));

  lab
    .command('down')
    .description('stop every lab process (by recorded PID) and remove the lab state')
    .addHelpText('after', examples('vitictl lab down'))
    .action(bind(runner, down));

  lab
    .command('status')
    .description('each component, its PID, endpoint and health (exit 1 when not all are up)')
    .addHelpText('after', examples('vitictl lab status', 'vitictl lab status -o json'))
    .action(bind(runner, status));

  lab
    .command('env')
    .description("print 'export KUBECONFIG=…' for the running lab")
    .addHelpText(
      'after',
      examples('eval "$(vitictl lab env)"', 'kubectl --kubeconfig "$(vitictl lab env | cut -d= -f2)" get ns'),
    )
    .action(bind(runner, env));
}
