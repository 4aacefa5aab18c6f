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

/** A kubeconfig file `name` with one cluster `cluster` at `server`, and context `context` for it. */
const named = (name: string, o: { cluster: string; server: string; context: string; current?: string }) =>
  temp.write(
    name,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: o.cluster, cluster: { server: o.server } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: o.context, context: { cluster: o.cluster, user: 'u' } }],
      ...(o.current === undefined ? {} : { 'current-context': o.current }),
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

  it('an empty file: "the kubeconfig is empty", naming the file (exit 2)', async () => {
    const file = await temp.write('empty', '\n');
    const error = await thrownByAsync(() => connect({ kubeconfig: file, env: {} }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('the kubeconfig is empty');
    expect(error.location).toEqual({ file });
  });

  it('malformed YAML: the file, line and column of the first error (exit 2)', async () => {
    const file = await temp.write('broken', 'apiVersion: v1\nclusters:\n- cluster: {server: x\n  bad: [\n');
    const error = await thrownByAsync(() => connect({ env: { KUBECONFIG: file } }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^malformed YAML: /);
    expect(error.location).toMatchObject({ file, line: 4 });
    expect(error.hint).toBeDefined();
  });

  it('a YAML list or a string is not a kubeconfig (exit 2), where client-node found "no current cluster"', async () => {
    for (const [text, what] of [
      ['- a\n- b\n', 'a list'],
      ['just a string\n', 'a string'],
    ]) {
      const file = await temp.write('not-a-config', text ?? '');
      const error = await thrownByAsync(() => connect({ kubeconfig: file, env: {} }));
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(
        `not a kubeconfig: the file holds ${what}, not a mapping of clusters, users and contexts`,
      );
      expect(error.location).toEqual({ file, line: 1, column: 1 });
    }
  });

  it('no current-context (exit 2): the hint lists the contexts to pass with --context', async () => {
    const file = await named('a', { cluster: 'c', server: 'https://127.0.0.1:1', context: 'lab' });
    const error = await thrownByAsync(() => connect({ kubeconfig: file, env: {} }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`the kubeconfig ${file} sets no current-context`);
    expect(error.hint).toMatch(/--context NAME \(contexts: lab\)/);
    const chosen = await connect({ kubeconfig: file, context: 'lab', env: {} });
    expect(chosen.server).toBe('https://127.0.0.1:1');
  });

  it('a context naming a cluster the kubeconfig does not define (exit 2)', async () => {
    const file = await temp.write(
      'dangling',
      JSON.stringify({
        contexts: [{ name: 'x', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const error = await thrownByAsync(() => connect({ kubeconfig: file, env: {} }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `context "x" names cluster "gone", which the kubeconfig ${file} does not define`,
    );
  });
});

describe('$KUBECONFIG with several files merges them as kubectl does', () => {
  it('the first current-context and the first definition of a name win; missing files are skipped', async () => {
    const first = await named('first', {
      cluster: 'shared',
      server: 'https://127.0.0.1:1',
      context: 'one',
      current: 'one',
    });
    const second = await named('second', {
      cluster: 'shared',
      server: 'https://127.0.0.1:2',
      context: 'two',
      current: 'two',
    });
    const missing = `${temp.dir()}/not-there`;
    const connection = await connect({ env: { KUBECONFIG: [missing, first, second].join(':') } });
    expect(connection.context).toBe('one');
    expect(connection.server).toBe('https://127.0.0.1:1');
    expect(connection.config.getContexts().map((context) => context.name)).toEqual(['one', 'two']);
    // context "two" names cluster "shared", which the first file defined
    const other = await connect({ context: 'two', env: { KUBECONFIG: [first, second].join(':') } });
    expect(other.server).toBe('https://127.0.0.1:1');
  });

  it('none of its files exists: "no kubeconfig" listing them (exit 2)', async () => {
    const dir = (await temp.write('marker', '')).replace(/\/marker$/, '');
    const error = await thrownByAsync(() => connect({ env: { KUBECONFIG: `${dir}/a:${dir}/b` } }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`no kubeconfig: no file in $KUBECONFIG exists (${dir}/a:${dir}/b)`);
  });
});
