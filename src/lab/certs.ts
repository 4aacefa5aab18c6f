import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { runtimeError } from '../errors.js';

export interface LabCerts {
  dir: string;
  ca: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** holds tls.crt and tls.key, as controller-runtime's webhook server expects */
  webhookDir: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execa('openssl', args, { cwd });
  } catch (error) {
    const err = error as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT') {
      throw runtimeError('openssl not found: the lab makes its certificates with it', {
        hint: 'apt-get install openssl',
      });
    }
    throw runtimeError(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).split('\n')[0]}`);
  }
}

async function signed(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), `${extensions}\n`);
  await openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '365',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

/** A CA, the API server's serving cert, an admin client cert (system:masters), SA keys, a webhook cert. */
export async function makeCerts(dir: string): Promise<LabCerts> {
  await mkdir(dir, { recursive: true });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '365',
      '-subj',
      '/CN=vitictl-lab-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  );
  await signed(
    dir,
    'admin',
    '/O=system:masters/CN=vitictl-admin',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  );
  await signed(
    dir,
    'webhook',
    '/CN=vitistack-operator-webhook',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  );
  await openssl(['genrsa', '-out', 'sa.key', '2048'], dir);
  await openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const webhookDir = join(dir, 'webhook');
  await mkdir(webhookDir, { recursive: true });
  await copyFile(join(dir, 'webhook.crt'), join(webhookDir, 'tls.crt'));
  await copyFile(join(dir, 'webhook.key'), join(webhookDir, 'tls.key'));
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    webhookDir,
  };
}
