import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import { labUp } from './lab.js';
import { freePorts } from './ports.js';
import { type LabState, writeState } from './state.js';

let dir: string;
const servers: Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitictl-lab-unit-'));
});
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A recorded lab whose processes all exited (real PIDs of finished processes), its files in place. */
async function deadLab(): Promise<LabState> {
  const exited = () => {
    const child = spawnSync(process.execPath, ['-e', '']);
    return { pid: child.pid as number, binary: process.execPath, args: ['-e', ''], log: join(dir, 'x.log') };
  };
  await mkdir(join(dir, 'etcd-data'), { recursive: true });
  await mkdir(join(dir, 'pki'), { recursive: true });
  await writeFile(join(dir, 'kubeconfig'), 'apiVersion: v1\n');
  await writeFile(join(dir, 'pki', 'ca.crt'), 'ca\n');
  const [etcd, etcdPeer, apiserver, metrics, health, pprof, webhook] = await freePorts(7);
  const state: LabState = {
    schemaVersion: 1,
    dir,
    startedAt: '2026-12-02T10:00:00.000Z',
    kubernetesVersion: 'v1.37.2',
    kubeconfig: join(dir, 'kubeconfig'),
    binDir: dir,
    ports: { etcd, etcdPeer, apiserver, metrics, health, pprof, webhook } as LabState['ports'],
    components: { etcd: exited(), apiserver: exited(), operator: exited() },
    operatorArgs: [],
    certs: { ca: join(dir, 'pki', 'ca.crt'), webhookDir: join(dir, 'pki') },
  };
  await writeState(state);
  return state;
}

async function refusal(): Promise<VitictlError> {
  const error = await labUp({ dir }, () => undefined).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(VitictlError);
  return error as VitictlError;
}

describe('lab up with a recorded lab that stopped', () => {
  it('refuses, touching nothing, when a port of a dead component is taken', async () => {
    const state = await deadLab();
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(state.ports.apiserver, '127.0.0.1', resolve));
    const before = readFileSync(join(dir, 'state.json'), 'utf8');
    const error = await refusal();
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      `cannot restart the lab in ${dir}: port ${state.ports.apiserver} of kube-apiserver is taken by another process`,
    );
    expect(error.hint).toMatch(/vitictl lab down to start a fresh lab/);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(before);
    expect(existsSync(join(dir, 'etcd-data'))).toBe(true);
  });

  it('refuses when its etcd data is gone', async () => {
    await deadLab();
    await rm(join(dir, 'etcd-data'), { recursive: true });
    const error = await refusal();
    expect(error.message).toBe(`cannot restart the lab in ${dir}: ${join(dir, 'etcd-data')} is gone`);
  });

  it('refuses, wiping nothing, when its state cannot be read', async () => {
    await deadLab();
    await writeFile(join(dir, 'state.json'), '{"schemaVersion": 1, "truncat');
    const error = await refusal();
    expect(error.message).toBe(`the lab state in ${dir} cannot be read, so its lab cannot be restarted`);
    expect(error.hint).toMatch(/^vitictl lab down removes it/);
    expect(existsSync(join(dir, 'etcd-data'))).toBe(true);
  });
});
