// Regenerates crds/ from the VitiStack API module that lab/operator/go.mod pins (npm run crds:sync).
// crds/ is a byte-for-byte copy, so `vitictl scenario generate --crd crds/…` works without Go;
// test/integration/vitistack-api.test.ts fails when the two differ.
import { chmod, copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crdFilesIn, resolveVitistackApi } from '../src/lab/vitistack-api.js';
import { packagePath } from '../src/util/package-root.js';

const api = await resolveVitistackApi();
const target = packagePath('crds');
const wanted = await crdFilesIn(api.crdDir);
for (const name of await readdir(target)) {
  if (!wanted.includes(name)) await rm(join(target, name));
}
for (const name of wanted) {
  const destination = join(target, name);
  await rm(destination, { force: true }); // the module cache's files are read-only
  await copyFile(join(api.crdDir, name), destination);
  await chmod(destination, 0o644);
}
process.stdout.write(`crds/: ${wanted.length} CRDs from ${api.module} ${api.version}\n`);
