import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { defaultPerformanceYaml } from '../../src/lab/install.js';
import { labDown, labUp } from '../../src/lab/lab.js';
import type { LabState } from '../../src/lab/state.js';
import { buildIfStale } from '../helpers/binary.js';
import { TEST_LAB_CONFIG } from '../helpers/lab-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabState;
  }
}

/**
 * One real lab for all integration tests: kube-apiserver + etcd built from Go modules and our
 * operator. A lab that cannot be built or started fails the run (scripts/test.sh decides, before
 * this runs, whether Go is there at all).
 */
export default async function setup(project: TestProject) {
  // the tests spawn bin/vitictl.js, which runs dist/
  await buildIfStale((line) => process.stderr.write(`[build] ${line}\n`));
  const dir = await mkdtemp(join(tmpdir(), 'vitictl-it-lab-'));
  const started = Date.now();
  const result = await labUp(
    {
      dir,
      unsafeNoFsync: true,
      // fast enough that tests measure vitictl, not a throttled operator
      performanceYaml: defaultPerformanceYaml(TEST_LAB_CONFIG.workers, TEST_LAB_CONFIG.qps),
      provisionTime: 'fixed:20ms',
      apiCallsPerReconcile: 1,
    },
    (line) => process.stderr.write(`[lab] ${line}\n`),
  );
  process.stderr.write(`[lab] up in ${((Date.now() - started) / 1000).toFixed(1)}s at ${dir}\n`);
  project.provide('lab', result.state);
  return async () => {
    await labDown(dir);
    await rm(dir, { recursive: true, force: true });
  };
}
