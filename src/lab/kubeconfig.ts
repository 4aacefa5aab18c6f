import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { toYaml } from '../util/yaml-emit.js';

const LAB_CONTEXT = 'vitictl-lab';

/** A client-certificate user (files), or a bearer token (a service account's). */
export type KubeconfigUser = { name: string; cert: string; key: string } | { name: string; token: string };

/**
 * A kubeconfig for one user of the lab, its credentials embedded (file mode 0600): the admin
 * certificate for vitictl and kubectl, kube-controller-manager's, the operator's service account token.
 */
export async function writeKubeconfig(
  file: string,
  apiserverPort: number,
  ca: string,
  user: KubeconfigUser,
): Promise<void> {
  const b64 = (path: string) => readFileSync(path).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: LAB_CONTEXT,
        cluster: {
          server: `https://127.0.0.1:${apiserverPort}`,
          'certificate-authority-data': b64(ca),
        },
      },
    ],
    users: [
      {
        name: user.name,
        user:
          'token' in user
            ? { token: user.token }
            : { 'client-certificate-data': b64(user.cert), 'client-key-data': b64(user.key) },
      },
    ],
    contexts: [
      { name: LAB_CONTEXT, context: { cluster: LAB_CONTEXT, user: user.name, namespace: 'default' } },
    ],
    'current-context': LAB_CONTEXT,
  };
  await writeFile(file, toYaml(config), { mode: 0o600 });
}
