import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { loadProfile } from '../config/load-profile.js';
import type { KubeConnection } from '../kube/connect.js';
import { prepareScenario } from '../scenario/prepare.js';
import { Lifecycle } from './lifecycle.js';
import type { WebhookPhaseResult } from './webhook-phase.js';

/** A connection to a closed port on this machine (nothing is sent in this test). */
function closedConnection(): KubeConnection {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return { config, server: 'https://127.0.0.1:1', context: 'c', namespace: 'default' };
}

describe('the lifecycle of a profile', () => {
  const temp = useTempDir();

  it('stops a webhook phase running alongside a phase that fails, instead of letting it run out its duration', async () => {
    const profile = await loadProfile(
      await temp.write(
        'p.yaml',
        `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: p}
spec:
  scenario: machines
  load: {qps: 10}
  phases:
    - {type: create}
    - {type: delete, qps: 5}
    - {type: webhook, with: delete, configuration: c, rate: 10, duration: 10m}
`,
      ),
    );
    const { plan } = await prepareScenario({ scenario: 'machines', crdFiles: [], count: 2, runId: 'r-1' });
    let stoppedEarly = false;
    const webhook = (signal: AbortSignal) =>
      new Promise<WebhookPhaseResult>((resolve) => {
        signal.addEventListener('abort', () => {
          stoppedEarly = true;
          resolve({} as WebhookPhaseResult);
        });
      });
    const lifecycle = new Lifecycle({
      phases: profile.phases,
      plan,
      profile: { name: 'p', file: 'p.yaml' },
      webhook,
      signal: new AbortController().signal,
    });
    // no resource for the delete's kind: the delete phase fails at once (a refused request would be retried)
    const resources = new Map();
    const after = lifecycle.hooks().after({ connection: closedConnection(), resources });
    await expect(after).rejects.toThrow(/no resource discovered for Machine/);
    // the webhook ended (its partial result kept) as soon as the delete failed, not 10 minutes later
    await expect.poll(() => stoppedEarly, { timeout: 5_000 }).toBe(true);
    await expect
      .poll(() => lifecycle.entries.map((entry) => entry.name), { timeout: 5_000 })
      .toContain('webhook');
  });
});
