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
  /** kube-controller-manager's client identity (system:kube-controller-manager) and serving cert */
  controllerManagerCert: string;
  controllerManagerKey: string;
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

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA, `<name>.crt` and `<name>.key` in `dir`. */
export async function makeCa(dir: string, name: string, subject = `/CN=${name}`, days = 365): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      String(days),
      '-subj',
      subject,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
}

export interface Leaf {
  /** files `<name>.key`, `<name>.crt` (and .csr, .ext) in the directory */
  name: string;
  subject: string;
  /** -1 gives notAfter one day before notBefore: an expired certificate, no fake clock needed */
  days: number;
  /** openssl x509 extensions, one per line (subjectAltName, extendedKeyUsage, …) */
  extensions?: string;
  /** default: ca.crt and ca.key in the directory */
  ca?: { cert: string; key: string };
}

/** An EC key and a certificate for it signed by the CA. */
export async function signLeaf(dir: string, leaf: Leaf): Promise<void> {
  const { name } = leaf;
  if (leaf.extensions) await writeFile(join(dir, `${name}.ext`), `${leaf.extensions}\n`);
  await openssl(
    ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', leaf.subject],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      leaf.ca?.cert ?? 'ca.crt',
      '-CAkey',
      leaf.ca?.key ?? 'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      String(leaf.days),
      ...(leaf.extensions ? ['-extfile', `${name}.ext`] : []),
    ],
    dir,
  );
}

/**
 * A CA, the API server's serving cert, an admin client cert (system:masters), kube-controller-manager's
 * cert, SA keys, a webhook cert.
 */
export async function makeCerts(dir: string): Promise<LabCerts> {
  await mkdir(dir, { recursive: true });
  await makeCa(dir, 'ca', '/CN=vitictl-lab-ca');
  await signLeaf(dir, {
    name: 'apiserver',
    subject: '/CN=kube-apiserver',
    days: 365,
    extensions:
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  });
  await signLeaf(dir, {
    name: 'admin',
    subject: '/O=system:masters/CN=vitictl-admin',
    days: 365,
    extensions: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  });
  // one cert for both ends of kube-controller-manager: its client identity (the CN the default RBAC
  // bootstrap roles bind) and its HTTPS port on 127.0.0.1, so /healthz is verified against the lab CA
  await signLeaf(dir, {
    name: 'controller-manager',
    subject: '/CN=system:kube-controller-manager',
    days: 365,
    extensions:
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  });
  await signLeaf(dir, {
    name: 'webhook',
    subject: '/CN=vitistack-operator-webhook',
    days: 365,
    extensions:
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment',
  });
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
    controllerManagerCert: join(dir, 'controller-manager.crt'),
    controllerManagerKey: join(dir, 'controller-manager.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    webhookDir,
  };
}
