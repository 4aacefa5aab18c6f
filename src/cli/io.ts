import type { Writable } from 'node:stream';

/** The process's streams and environment, injectable so tests can run the CLI in-process. */
export interface Io {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}
