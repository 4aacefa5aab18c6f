import { describe, expect, it } from 'vitest';
import { thrownByAsync } from '../../test/helpers/errors.js';
import { useTempDir } from '../../test/helpers/files.js';
import { connect } from './connect.js';
import { KubeRest } from './rest.js';

const temp = useTempDir();

/** A one-context kubeconfig for `cluster` and `user`. */
const kubeconfig = (cluster: Record<string, unknown>, user: Record<string, unknown> = { token: 't' }) =>
  temp.write(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );

describe('a kubeconfig vitictl cannot use is a one-line error, never an internal one', () => {
  it('none at all: no --kubeconfig, no $KUBECONFIG, no ~/.kube/config (exit 2)', async () => {
    const home = (await temp.write('marker', '')).replace(/\/marker$/, '');
    const error = await thrownByAsync(() => connect({ env: { HOME: home } }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `no kubeconfig: $KUBECONFIG is not set and ${home}/.kube/config does not exist`,
    );
    expect(error.hint).toMatch(/--kubeconfig FILE or set KUBECONFIG.*vitictl lab up/);
  });

  it('a plain-HTTP server without insecure-skip-tls-verify (exit 2), credentials in its URL not shown', async () => {
    const file = await kubeconfig({ server: 'http://admin:s3cret@127.0.0.1:8080' });
    const error = await thrownByAsync(async () =>
      KubeRest.create(await connect({ kubeconfig: file, env: {} })),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      "the kubeconfig's server http://REDACTED@127.0.0.1:8080 is plain HTTP, which is refused without TLS",
    );
  });

  it('an exec credential plugin that cannot run: a runtime error naming the server and the user to check (exit 1)', async () => {
    const file = await kubeconfig(
      { server: 'https://127.0.0.1:6443', 'insecure-skip-tls-verify': true },
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: '/nonexistent/vitictl-test/no-such-plugin',
        },
      },
    );
    const error = await thrownByAsync(async () =>
      KubeRest.create(await connect({ kubeconfig: file, env: {} })),
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(
      /^cannot get credentials for https:\/\/127\.0\.0\.1:6443 from the kubeconfig: /,
    );
    expect(error.hint).toMatch(/exec plugin/);
  });
});
