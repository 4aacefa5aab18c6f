import { Command, CommanderError, Option } from 'commander';
import { formatLocation, usageError, VitictlError } from '../errors.js';
import { makeStyle } from '../render/style.js';
import { escapeControl } from '../util/escape-control.js';
import { packageVersion } from '../util/version.js';
import { commandPath, examples, helpHint, type Runner } from './command.js';
import { registerApply } from './commands/apply.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerLab } from './commands/lab.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerMetrics } from './commands/metrics.js';
import { registerPerf } from './commands/perf.js';
import { registerPprof } from './commands/pprof.js';
import { registerReport } from './commands/report.js';
import { registerScenario } from './commands/scenario.js';
import { registerTune } from './commands/tune.js';
import { registerWebhook } from './commands/webhook.js';
import type { Io, OutputStream } from './io.js';
import { colorWanted } from './style.js';

/** Commander's own rule, asked of our streams: the terminal's width, else 80. */
function terminalWidth(stream: OutputStream): number {
  return (stream.isTTY ? stream.columns : undefined) ?? 80;
}

function buildProgram(runner: Runner): Command {
  const program = new Command('vitictl')
    .description('Load-test and tune Kubernetes controllers for VitiStack.')
    .version(packageVersion(), '--version', 'print the version')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <name>', 'namespace for namespaced operations')
    .addOption(
      new Option(
        '-o, --output <format>',
        'output format: table, json or yaml (commands say which they take)',
      ),
    )
    .option('-q, --quiet', 'only results and errors, no progress')
    .option('-v, --verbose', 'more detail, and stack traces on errors')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => runner.io.stdout.write(text),
      writeErr: (text) => runner.io.stderr.write(text),
      getOutHelpWidth: () => terminalWidth(runner.io.stdout),
      getErrHelpWidth: () => terminalWidth(runner.io.stderr),
      // commander's usage errors quote the argv too; its suggestion joins the error's one line
      outputError: (text, write) =>
        write(
          text
            .replace(/\n\(Did you mean (.+)\)\n?$/, ' (did you mean $1)\n')
            .split('\n')
            .map(escapeControl)
            .join('\n'),
        ),
    })
    .addHelpText(
      'after',
      `${examples('vitictl scenario list', 'vitictl scenario generate machines --count 1000 --seed 7')}
Exit codes: 0 ok · 1 runtime error · 2 usage or bad input · 3 a gate failed · 130 interrupted (143 on SIGTERM)
`,
    );
  registerScenario(program, runner);
  registerApply(program, runner);
  registerCleanup(program, runner);
  registerLifecycle(program, runner);
  registerLab(program, runner);
  registerMetrics(program, runner);
  registerTune(program, runner);
  registerPerf(program, runner);
  registerReport(program, runner);
  registerPprof(program, runner);
  registerWebhook(program, runner);
  const configure = (command: Command) => {
    command.exitOverride();
    // commander prints its own usage errors (an unknown option, a missing argument): the hint is ours
    command.showHelpAfterError(`hint: ${helpHint(command)}`);
    for (const sub of command.commands) configure(sub);
    if (command.commands.length > 0) addHelpCommand(command);
  };
  configure(program);
  return program;
}

/**
 * `help [command...]` in place of commander's, which answers an unknown name with the whole help
 * and exit 0: here it is a usage error that names the commands there are.
 */
function addHelpCommand(parent: Command): void {
  parent.helpCommand(false);
  const help = parent
    .command('help')
    .description('display help for command')
    .argument('[command...]', 'the command, and its subcommands');
  // made after the tree was configured: the parent's hint would name the parent
  help.showHelpAfterError(`hint: ${helpHint(help)}`);
  help.action((words: string[]) => {
    let target = parent;
    for (const word of words) {
      const next = target.commands.find((sub) => sub.name() === word || sub.aliases().includes(word));
      if (!next) {
        const names = target.commands.map((sub) => sub.name()).filter((name) => name !== 'help');
        throw usageError(
          names.length === 0
            ? `\`${commandPath(target)}\` has no subcommands, '${word}' is not one`
            : `unknown command '${word}'`,
          names.length === 0
            ? helpHint(target)
            : `\`${commandPath(target)}\` has these commands: ${names.join(', ')}`,
        );
      }
      target = next;
    }
    target.outputHelp();
  });
}

/** An error line stays a line: input quoted in it (a 5 MB gate, a path) is cut, the rest counted. */
const MAX_LINE = 2000;

function shown(text: string): string {
  const escaped = escapeControl(text);
  return escaped.length <= MAX_LINE
    ? escaped
    : `${escaped.slice(0, MAX_LINE)}… (${(escaped.length - MAX_LINE).toLocaleString('en-US')} more characters)`;
}

export function printError(error: VitictlError, io: Io, verbose: boolean, color: boolean): void {
  const style = makeStyle(color);
  const where = shown(formatLocation(error.location));
  io.stderr.write(`${style.red('error:')} ${where ? `${where}: ` : ''}${shown(error.message)}\n`);
  if (error.hint) io.stderr.write(`${style.dim('hint:')} ${shown(error.hint)}\n`);
  if (verbose && error.stack) io.stderr.write(`${error.stack}\n`);
}

/** Run the CLI; returns the exit code. The only place errors become exit codes. */
export async function main(argv: string[], io: Io): Promise<number> {
  const runner: Runner = { io, exitCode: 0 };
  const program = buildProgram(runner);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  const color = colorWanted(!argv.includes('--no-color'), io.env, io.stderr.isTTY);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return runner.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return 0;
      }
      if (error.code === 'commander.executeSubCommandAsync') return runner.exitCode;
      return 2; // commander has printed the usage error already
    }
    if (error instanceof VitictlError) {
      printError(error, io, verbose, color);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${makeStyle(color).red('error:')} internal error: ${escapeControl(message)}\n`);
    if (!verbose) io.stderr.write('hint: run again with --verbose for the stack trace, and report it\n');
    else if (error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
