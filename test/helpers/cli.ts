import { Readable, Writable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI in this process on the current src/: `main(argv, io)` with captured streams, no TTY,
 * the environment of this process plus NO_COLOR=1 and `env` (what a child process would inherit).
 * `input` is what `-` reads.
 */
export async function runCli(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const stdout = captured();
  const stderr = captured();
  const io: Io = {
    stdin: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    cwd: process.cwd(),
    interrupt: () => new AbortController().signal,
  };
  const exitCode = await main(args, io);
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

function captured(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
