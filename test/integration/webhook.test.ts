import { beforeAll, describe, expect, it } from 'vitest';
import type { WebhookRunResult } from '../../src/webhook/engine.js';
import { vitictl } from '../helpers/binary.js';
import { errorLines } from '../helpers/errors.js';
import { useTempDir } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

/** The lab operator's real validating webhook, found through its ValidatingWebhookConfiguration. */

function machine(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: 'default' },
    spec,
  });
}

describe('vitictl webhook bench against the lab operator', () => {
  const temp = useTempDir();
  let objects: string;
  const kube = () => ['--kubeconfig', lab().kubeconfig];

  beforeAll(async () => {
    objects = await temp.write(
      'machines.yaml',
      [
        machine('good-1', { memory: 2048, os: { architecture: 'amd64' } }),
        machine('bad-memory', { memory: -1 }),
        machine('good-2', { memory: 4096, cpu: { cores: 4 } }),
        machine('bad-cores', { memory: 1024, cpu: { cores: -2 } }),
      ].join('\n---\n'),
    );
  });

  it('--webhook reads URL, caBundle and policy from the configuration; valid Machines allowed, invalid denied, counted', async () => {
    const result = await vitictl([
      'webhook',
      'bench',
      '--webhook',
      'vitictl-lab-operator',
      ...kube(),
      '--objects',
      objects,
      '--rate',
      '200',
      '--requests',
      '400',
      '--warmup',
      '0s',
      '--operations',
      'CREATE=3,UPDATE=1,DELETE=1',
      '-o',
      'json',
    ]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    // the lab's rules cover CREATE and UPDATE only
    expect(String(result.stderr)).toMatch(
      /warning: the webhook's rules do not cover DELETE: those operations are not sent/,
    );
    const run = JSON.parse(String(result.stdout)) as WebhookRunResult;
    const w = run.webhook;
    expect(w.target).toMatchObject({
      url: `https://127.0.0.1:${lab().ports.webhook}/validate-machine`,
      configuration: 'vitictl-lab-operator',
      webhook: 'vmachine.vitistack.io',
      type: 'validating',
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    });
    expect(w.tls).toMatchObject({
      verified: 'every-connection',
      insecureSkipTlsVerify: false,
      caOrigin: 'the caBundle of vitictl-lab-operator',
    });
    expect(w.requests).toEqual({ sent: 400, ended: 400, unanswered: 0 });
    expect(w.generator.pacing!.lateness.count).toBe(400);
    expect(w.generator.pacing!.lateness.p99).toBe(w.generator.startLagP99Ms);
    if (process.platform === 'linux') expect(w.generator.pacing!.cpuWaitMs).not.toBeNull();
    expect(w.load.operations).toEqual({ CREATE: 300, UPDATE: 100, DELETE: 0 });
    // objects round-robin: half valid, half invalid, on every operation
    expect(w.counts).toEqual({ okAllowed: 200, okDenied: 200, httpError: 0, timeout: 0, wouldFail: 0 });
    expect(w.deniedWithoutStatus).toBe(0);
    expect(w.failurePolicy).toEqual({ policy: 'Fail', admitted: 200, rejected: 200, failedCalls: 0 });
    expect(w.latency.count).toBe(400);
    expect(w.apiServerBuckets.at(-1)).toEqual({ le: '+Inf', count: 400 });
    expect(run.target.context).not.toBe('');
  });

  it('--url with the lab CA, closed loop over the machines scenario: all allowed', async () => {
    const result = await vitictl([
      'webhook',
      'bench',
      '--url',
      `https://127.0.0.1:${lab().ports.webhook}/validate-machine`,
      '--ca',
      lab().certs.ca,
      '--connections',
      '4',
      '--requests',
      '400',
      '--warmup',
      '0s',
    ]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const out = String(result.stdout);
    expect(out).toMatch(/^tls {6}verified by the preflight \(autocannon does not verify\)/m);
    expect(out).toMatch(/^load {5}closed loop, 4 connections → [\d,.]+\/s · 400 sent/m);
    expect(out).toMatch(
      /^answers {2}allowed 400 · denied 0 · http errors 0 · timeouts 0 · would fail in API server 0$/m,
    );
  });

  it('finds a webhook by its own name', async () => {
    const result = await vitictl([
      'webhook',
      'bench',
      '--webhook',
      'vmachine.vitistack.io',
      ...kube(),
      '--requests',
      '50',
      '--warmup',
      '0s',
      '-o',
      'json',
    ]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const run = JSON.parse(String(result.stdout)) as WebhookRunResult;
    expect(run.webhook.target.configuration).toBe('vitictl-lab-operator');
    expect(run.webhook.counts.okAllowed).toBe(50);
  });

  it('a webhook configuration that does not exist: one clear line, exit 2', async () => {
    const result = await vitictl(['webhook', 'bench', '--webhook', 'no-such-webhook', ...kube()]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)).toEqual([
      'error: no ValidatingWebhookConfiguration or MutatingWebhookConfiguration (or webhook) named "no-such-webhook"',
    ]);
    expect(String(result.stderr)).toMatch(/^hint: configurations in this cluster: .*vitictl-lab-operator/m);
  });

  it('two shards split the objects and the load; merged, their counts add up to the whole', async () => {
    const objects = await temp.write(
      'shard-machines.yaml',
      [
        machine('good-1', { memory: 2048 }),
        machine('bad-memory', { memory: -1 }),
        machine('good-2', { memory: 4096 }),
        machine('bad-memory-2', { memory: -2 }),
      ].join('\n---\n'),
    );
    const shards = await Promise.all(
      [0, 1].map(async (index) => {
        const out = temp.path(`wh-${index}.json`);
        const result = await vitictl([
          'webhook',
          'bench',
          '--webhook',
          'vitictl-lab-operator',
          ...kube(),
          '--objects',
          objects,
          '--rate',
          '200',
          '--requests',
          '400',
          '--warmup',
          '0s',
          '--run-id',
          'it-wh',
          '--shard',
          `${index}/2`,
          '--out',
          out,
          '-q',
        ]);
        expect(result.exitCode, String(result.stderr)).toBe(0);
        return out;
      }),
    );
    const merged = await vitictl(['report', 'merge', ...shards, '-o', 'json']);
    expect(merged.exitCode, String(merged.stderr)).toBe(0);
    const run = JSON.parse(String(merged.stdout)) as WebhookRunResult;
    // shard 0 sends objects 0 and 2 (both valid), shard 1 objects 1 and 3 (both invalid)
    expect(run.webhook.requests).toEqual({ sent: 400, ended: 400, unanswered: 0 });
    expect([run.webhook.allowed, run.webhook.denied]).toEqual([200, 200]);
    expect(run.webhook.latency.count).toBe(400);
    expect(run.webhook.load.requestedRate).toBe(200);
    expect(run.scenario.objects).toBe(4);
  });

  it('objects the rules do not cover are refused before any load', async () => {
    const result = await vitictl([
      'webhook',
      'bench',
      '--webhook',
      'vitictl-lab-operator',
      ...kube(),
      '--scenario',
      'vitistacks',
    ]);
    expect(result.exitCode).toBe(2);
    expect(errorLines(result.stderr)[0]).toMatch(
      /none of the objects match the rules of webhook vmachine\.vitistack\.io/,
    );
  });
});
