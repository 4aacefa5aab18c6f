import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import { crdFilesIn } from '../../src/lab/vitistack-api.js';
import { packagePath } from '../../src/util/package-root.js';
import { vitictl } from '../helpers/cli.js';

const COUNT = 1000;
const RUN_ID = 'it-dry-run';
const NAMESPACE = `vitictl-${RUN_ID}-0`;

/**
 * Objects generated from each real CRD alone must pass the API server's own validation (schema,
 * CEL rules, metadata). A lab of its own, without the operator's webhook: its rules are the
 * operator's, not the API's.
 */
describe('generated objects against the API server of the real VitiStack API', () => {
  let dir: string;
  let state: LabState;
  const kubectl = (args: string[], input?: string) =>
    execa('kubectl', args, {
      env: { KUBECONFIG: state.kubeconfig },
      reject: false,
      ...(input === undefined ? {} : { input }),
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vitictl-it-dry-run-lab-'));
    state = (await labUp({ dir, unsafeNoFsync: true, operator: false, webhook: false }, () => undefined))
      .state;
    const created = await kubectl(['create', 'namespace', NAMESPACE]);
    expect(created.exitCode, String(created.stderr)).toBe(0);
  }, 600_000);

  afterAll(async () => {
    await labDown(dir);
    await rm(dir, { recursive: true, force: true });
  });

  it(`${COUNT} objects per CRD and fill mode pass scenario validate and kubectl apply --dry-run=server`, async () => {
    const files = await crdFilesIn(packagePath('crds'));
    expect(files).toHaveLength(14);
    for (const file of files) {
      const crd = packagePath('crds', file);
      for (const fill of ['required', 'all']) {
        const flags = [
          '--crd',
          crd,
          '--count',
          String(COUNT),
          '--fill',
          fill,
          '--run-id',
          RUN_ID,
          '--namespaces',
          '1',
        ];
        const validated = await vitictl(['scenario', 'validate', ...flags]);
        expect(validated.exitCode, `${file} ${fill}: ${String(validated.stdout)}`).toBe(0);
        expect(String(validated.stdout)).toMatch(new RegExp(`^valid: ${COUNT} objects$`, 'm'));

        const generated = await vitictl(['scenario', 'generate', ...flags]);
        expect(generated.exitCode, String(generated.stderr)).toBe(0);
        const applied = await kubectl(
          ['apply', '--server-side', '--dry-run=server', '--field-manager=vitictl-test', '-f', '-'],
          String(generated.stdout),
        );
        expect(applied.exitCode, `${file} ${fill}: ${String(applied.stderr).slice(0, 2000)}`).toBe(0);
        const accepted = String(applied.stdout).match(/serverside-applied \(server dry run\)$/gm) ?? [];
        // the namespace is there already; namespaced kinds add it to the stream
        expect(accepted.length - (String(generated.stdout).includes('kind: Namespace') ? 1 : 0)).toBe(COUNT);
      }
    }
  }, 1_200_000);
});
