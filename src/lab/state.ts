import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { packagePath } from '../util/package-root.js';

/** Where a lab keeps its state: VITICTL_LAB_DIR, else .lab/ in the checkout (git-ignored). */
export function labDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VITICTL_LAB_DIR ?? packagePath('.lab');
}

const component = z.object({
  pid: z.number().int(),
  /** the executable, checked against /proc/<pid>/exe before any signal (PID reuse safety) */
  binary: z.string(),
  args: z.array(z.string()).default([]),
  log: z.string(),
});
export type ComponentState = z.infer<typeof component>;

const labStateSchema = z.object({
  schemaVersion: z.literal(1),
  dir: z.string(),
  startedAt: z.string(),
  kubernetesVersion: z.string(),
  /** the published API module whose CRDs the lab serves */
  vitistackApi: z.object({ module: z.string(), version: z.string() }).optional(),
  kubeconfig: z.string(),
  binDir: z.string(),
  ports: z.object({
    etcd: z.number(),
    etcdPeer: z.number(),
    apiserver: z.number(),
    /** absent in a lab started before the lab ran kube-controller-manager */
    controllerManager: z.number().optional(),
    metrics: z.number(),
    health: z.number(),
    pprof: z.number(),
    webhook: z.number(),
  }),
  components: z.object({
    etcd: component,
    apiserver: component,
    /** absent in a lab started before the lab ran kube-controller-manager: that lab runs on without one */
    controllerManager: component.optional(),
    operator: component.optional(),
  }),
  operatorArgs: z.array(z.string()),
  certs: z.object({ ca: z.string(), webhookDir: z.string() }),
});
export type LabState = z.infer<typeof labStateSchema>;

const STATE_FILE = 'state.json';

/** The lab's recorded state; undefined when there is none or it cannot be read (see hasStateFile). */
export async function readState(dir: string): Promise<LabState | undefined> {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const parsed = labStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

export function hasStateFile(dir: string): boolean {
  return existsSync(join(dir, STATE_FILE));
}

export async function writeState(state: LabState): Promise<void> {
  await mkdir(state.dir, { recursive: true });
  const temp = join(state.dir, `${STATE_FILE}.tmp`);
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, join(state.dir, STATE_FILE));
}

export async function removeStateFile(dir: string): Promise<void> {
  await rm(join(dir, STATE_FILE), { force: true });
}
