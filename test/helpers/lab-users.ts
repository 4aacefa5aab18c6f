import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signLeaf } from '../../src/lab/certs.js';
import type { LabState } from '../../src/lab/state.js';
import { toYaml } from '../../src/util/yaml-emit.js';

/** A kubeconfig for a new lab user (client certificate signed by the lab CA, no groups). */
export async function userKubeconfig(state: LabState, user: string, dir: string): Promise<string> {
  const pki = join(state.dir, 'pki');
  await signLeaf(dir, {
    name: user,
    subject: `/CN=${user}`,
    days: 1,
    ca: { cert: join(pki, 'ca.crt'), key: join(pki, 'ca.key') },
  });
  const key = join(dir, `${user}.key`);
  const crt = join(dir, `${user}.crt`);
  const b64 = (file: string) => readFileSync(file).toString('base64');
  const file = join(dir, `${user}.kubeconfig`);
  writeFileSync(
    file,
    labKubeconfig(state, user, { 'client-certificate-data': b64(crt), 'client-key-data': b64(key) }),
  );
  return file;
}

/** A kubeconfig for the lab's API server with the given user credentials (a token, or a client cert). */
export function labKubeconfig(state: LabState, user: string, credentials: Record<string, string>): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'lab',
        cluster: {
          server: `https://127.0.0.1:${state.ports.apiserver}`,
          'certificate-authority-data': readFileSync(state.certs.ca).toString('base64'),
        },
      },
    ],
    users: [{ name: user, user: credentials }],
    contexts: [{ name: 'lab', context: { cluster: 'lab', user } }],
    'current-context': 'lab',
  });
}
