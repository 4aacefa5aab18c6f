import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { interruptedError, runtimeError } from '../errors.js';
import { packagePath } from '../util/package-root.js';
import { stopGroupOnAbort } from './process.js';

export type Progress = (line: string) => void;

const CONTROL_PLANE = ['kube-apiserver', 'kube-controller-manager', 'etcd'] as const;

export interface LabBinaries {
  binDir: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  etcd: string;
  operator: string;
}

function cacheRoot(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vitictl', 'lab');
}

async function goAvailable(): Promise<string | undefined> {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    try {
      const { stdout } = await execa(candidate, ['version']);
      return stdout.trim();
    } catch {
      // try the next
    }
  }
  return undefined;
}

export function goBinary(): string {
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (current: string): Promise<void> => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.(go|mod|sum)$/.test(entry.name)) {
        hash.update(relative(dir, path));
        hash.update(await readFile(path));
      }
    }
  };
  await walk(dir);
  return hash.digest('hex').slice(0, 12);
}

/**
 * kube-apiserver, kube-controller-manager and etcd through lab/controlplane/build.sh (cached by
 * version; KUBEBUILDER_ASSETS honoured).
 */
async function buildControlPlane(
  progress: Progress,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<string> {
  const script = packagePath('lab', 'controlplane', 'build.sh');
  const child = execa('bash', [script], {
    env,
    reject: false,
    stderr: 'pipe',
    stdout: 'pipe',
    detached: true,
  });
  const stopListening = stopGroupOnAbort(child.pid, signal);
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8');
  let pending = '';
  child.stderr?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      if (line.startsWith('[lab build]')) progress(line.replace('[lab build] ', ''));
    }
  });
  const result = await child.finally(stopListening);
  if (signal?.aborted)
    throw interruptedError('interrupted during the lab build: nothing was started', signal);
  if (result.exitCode !== 0) {
    const reason =
      tail.filter((line) => line.includes('error')).pop() ?? tail.pop() ?? `exit ${result.exitCode}`;
    throw runtimeError(`building the control plane failed: ${reason.replace('[lab build] ', '')}`, {
      hint: 'run lab/controlplane/build.sh to see the whole output',
    });
  }
  const binDir = String(result.stdout).trim().split('\n').pop() ?? '';
  const missing = CONTROL_PLANE.filter((name) => !existsSync(join(binDir, name)));
  if (missing.length > 0) {
    throw runtimeError(`the control-plane build did not produce ${missing.join(', ')} in "${binDir}"`);
  }
  return binDir;
}

/** The reference operator, cached by a hash of its sources. */
async function buildOperator(
  progress: Progress,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<string> {
  const source = packagePath('lab', 'operator');
  const dir = join(cacheRoot(env), `operator-${await hashTree(source)}`);
  const binary = join(dir, 'operator');
  if (existsSync(binary)) return binary;
  await mkdir(dir, { recursive: true });
  progress('building the reference operator (go build)…');
  const started = Date.now();
  const temp = `${binary}.tmp`;
  const build = execa(goBinary(), ['build', '-trimpath', '-o', temp, '.'], {
    cwd: source,
    env: { ...env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
    reject: false,
    detached: true,
  });
  const result = await build.finally(stopGroupOnAbort(build.pid, signal));
  if (signal?.aborted) {
    await rm(temp, { force: true });
    throw interruptedError('interrupted during the lab build: nothing was started', signal);
  }
  if (result.exitCode !== 0) {
    await rm(temp, { force: true });
    const first =
      String(result.stderr)
        .split('\n')
        .find((line) => line.trim() !== '') ?? `exit ${result.exitCode}`;
    throw runtimeError(`building the operator failed: ${first}`, { hint: `cd ${source} && go build .` });
  }
  await rename(temp, binary);
  progress(`operator built in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return binary;
}

export async function buildLab(
  progress: Progress,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<LabBinaries> {
  if (!(await goAvailable())) {
    throw runtimeError(
      'no Go toolchain: the lab builds kube-apiserver, kube-controller-manager, etcd and the operator from Go modules',
      {
        hint: 'install Go 1.26+ (https://go.dev/dl) and make sure `go` is on PATH',
      },
    );
  }
  const binDir = await buildControlPlane(progress, env, signal);
  const operator = await buildOperator(progress, env, signal);
  return {
    binDir,
    kubeApiserver: join(binDir, 'kube-apiserver'),
    kubeControllerManager: join(binDir, 'kube-controller-manager'),
    etcd: join(binDir, 'etcd'),
    operator,
  };
}
