import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { runtimeError } from '../errors.js';
import { packagePath } from '../util/package-root.js';
import { goBinary } from './build.js';

/**
 * The published VitiStack API: the Go module whose CRDs the lab installs and whose Go types the
 * reference operator uses. Its version is the one lab/operator/go.mod requires, so the operator and
 * the CRDs can never disagree, and upgrading is one `go get` there.
 */
export const VITISTACK_API_MODULE = 'github.com/vitistack/common';

export interface VitistackApi {
  module: string;
  version: string;
  /** the module's files in the Go module cache (read-only) */
  dir: string;
  /** the module's crds/ folder */
  crdDir: string;
}

const downloadAnswer = z.object({
  Path: z.string(),
  Version: z.string(),
  Dir: z.string().optional(),
  Error: z.string().optional(),
});

/** Resolve (and download through the Go module proxy when missing) the pinned VitiStack API module. */
export async function resolveVitistackApi(env: NodeJS.ProcessEnv = process.env): Promise<VitistackApi> {
  const operatorDir = packagePath('lab', 'operator');
  const result = await execa(goBinary(), ['mod', 'download', '-json', VITISTACK_API_MODULE], {
    cwd: operatorDir,
    env: { ...env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=mod' },
    reject: false,
  });
  let parsed: z.infer<typeof downloadAnswer> | undefined;
  try {
    parsed = downloadAnswer.parse(JSON.parse(String(result.stdout)));
  } catch {
    parsed = undefined;
  }
  if (result.exitCode !== 0 || !parsed?.Dir || parsed.Error) {
    const reason =
      parsed?.Error ??
      String(result.stderr)
        .split('\n')
        .find((line) => line.trim() !== '') ??
      `exit ${result.exitCode}`;
    throw runtimeError(`resolving the VitiStack API module ${VITISTACK_API_MODULE} failed: ${reason}`, {
      hint: `cd ${operatorDir} && go mod download -json ${VITISTACK_API_MODULE} (needs the Go module proxy or a filled module cache)`,
    });
  }
  return {
    module: parsed.Path,
    version: parsed.Version,
    dir: parsed.Dir,
    crdDir: join(parsed.Dir, 'crds'),
  };
}

/** The CRD files of a crds/ folder, sorted (the module keeps one CRD per file). */
export async function crdFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
}
