import { freePort } from '../../src/lab/ports.js';

/** A kubeconfig for an API server on a port where nothing listens (a real, refused socket). */
export async function closedKubeconfig(
  write: (name: string, text: string) => Promise<string>,
): Promise<{ port: number; file: string }> {
  const port = await freePort();
  const file = await write(
    'kubeconfig',
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { token: 'the-token' } }],
      contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
      'current-context': 'gone',
    }),
  );
  return { port, file };
}
