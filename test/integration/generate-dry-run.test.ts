import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/kube/connect.js';
import { KubeRest, statusMessage } from '../../src/kube/rest.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import { crdFilesIn } from '../../src/lab/vitistack-api.js';
import type { KubeObject } from '../../src/scenario/expand.js';
import { prepareScenario } from '../../src/scenario/prepare.js';
import { packagePath } from '../../src/util/package-root.js';
import { vitictl } from '../helpers/binary.js';

const COUNT = 1000;
/** of each 1,000, these go through kubectl apply --dry-run=server as well (kubectl takes ~0.1 s each) */
const THROUGH_KUBECTL = 25;
const RUN_ID = 'it-dry-run';
const NAMESPACE = `vitictl-${RUN_ID}-0`;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

/**
 * Objects generated from each real CRD alone must pass the API server's own validation (schema,
 * CEL rules, metadata): every one is sent as a server-side dry-run create. A lab of its own, without
 * the operator's webhook: its rules are the operator's, not the API's.
 */
describe('generated objects against the API server of the real VitiStack API', () => {
  let dir: string;
  let state: LabState;
  let rest: KubeRest;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vitictl-it-dry-run-lab-'));
    state = (await labUp({ dir, unsafeNoFsync: true, operator: false, webhook: false }, () => undefined))
      .state;
    rest = await KubeRest.create(await connect({ kubeconfig: state.kubeconfig }), { connections: 16 });
    const created = await rest.request('POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    });
    expect(created.status, statusMessage(created)).toBe(201);
  }, 600_000);

  afterAll(async () => {
    await rest?.close();
    await labDown(dir);
    await rm(dir, { recursive: true, force: true });
  });

  it(`${COUNT} objects per CRD and fill mode pass scenario validate and the API server's dry-run`, async () => {
    const files = await crdFilesIn(packagePath('crds'));
    expect(files).toHaveLength(14);
    for (const file of files) {
      const crd = packagePath('crds', file);
      for (const fill of ['required', 'all'] as const) {
        const what = `${file} --fill ${fill}`;
        const flags = ['--crd', crd, '--fill', fill, '--run-id', RUN_ID, '--namespaces', '1'];
        const validated = await vitictl(['scenario', 'validate', ...flags, '--count', String(COUNT)]);
        expect(validated.exitCode, `${what}: ${String(validated.stdout)}`).toBe(0);
        expect(String(validated.stdout)).toMatch(new RegExp(`^valid: ${COUNT} objects$`, 'm'));

        const { plan } = await prepareScenario({
          crdFiles: [crd],
          count: COUNT,
          fill,
          runId: RUN_ID,
          namespaces: 1,
        });
        const set = plan.sets[0]!;
        const objects: KubeObject[] = [];
        for (const { object } of plan.objects()) objects.push(object);
        expect(objects).toHaveLength(COUNT);
        const refused: string[] = [];
        await inParallel(objects, 16, async (object) => {
          const base = `/apis/${object.apiVersion}`;
          const path =
            set.scope === 'Namespaced'
              ? `${base}/namespaces/${object.metadata.namespace}/${set.plural}`
              : `${base}/${set.plural}`;
          const answer = await rest.request('POST', `${path}?dryRun=All&fieldValidation=Strict`, {
            body: object,
          });
          if (answer.status !== 201)
            refused.push(`${object.metadata.name}: ${answer.status} ${statusMessage(answer)}`);
        });
        expect(refused.slice(0, 5), `${what}: ${refused.length} refused`).toEqual([]);

        const generated = await vitictl([
          'scenario',
          'generate',
          ...flags,
          '--count',
          String(THROUGH_KUBECTL),
        ]);
        expect(generated.exitCode, String(generated.stderr)).toBe(0);
        const applied = await execa(
          'kubectl',
          ['apply', '--server-side', '--dry-run=server', '--field-manager=vitictl-test', '-f', '-'],
          { env: { KUBECONFIG: state.kubeconfig }, input: String(generated.stdout), reject: false },
        );
        expect(applied.exitCode, `${what}: ${String(applied.stderr).slice(0, 2000)}`).toBe(0);
        const accepted = String(applied.stdout).match(/ serverside-applied \(server dry run\)$/gm) ?? [];
        // the namespace exists; namespaced kinds carry it in the stream
        expect(accepted.length - (set.scope === 'Namespaced' ? 1 : 0), what).toBe(THROUGH_KUBECTL);
      }
    }
  }, 1_200_000);
});
