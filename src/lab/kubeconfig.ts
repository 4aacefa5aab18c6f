import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { toYaml } from '../util/yaml-emit.js';
import type { LabCerts } from './certs.js';

const LAB_CONTEXT = 'vitictl-lab';

/** A kubeconfig with embedded certificates, usable by vitictl, kubectl and the operator alike. */
export async function writeKubeconfig(file: string, apiserverPort: number, certs: LabCerts): Promise<void> {
  const b64 = (path: string) => readFileSync(path).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: LAB_CONTEXT,
        cluster: {
          server: `https://127.0.0.1:${apiserverPort}`,
          'certificate-authority-data': b64(certs.ca),
        },
      },
    ],
    users: [
      {
        name: 'vitictl-admin',
        user: { 'client-certificate-data': b64(certs.adminCert), 'client-key-data': b64(certs.adminKey) },
      },
    ],
    contexts: [
      { name: LAB_CONTEXT, context: { cluster: LAB_CONTEXT, user: 'vitictl-admin', namespace: 'default' } },
    ],
    'current-context': LAB_CONTEXT,
  };
  await writeFile(file, toYaml(config), { mode: 0o600 });
}
