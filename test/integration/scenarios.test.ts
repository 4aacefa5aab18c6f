import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listBuiltinScenarios } from '../../src/config/load-scenario.js';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

const env = () => ({ NO_COLOR: '1', KUBECONFIG: lab().kubeconfig });

describe('the built-in scenarios on the real VitiStack API', () => {
  const temp = useTempDir();

  it('every built-in scenario is accepted by the API server, reconciled by the operator to ready, and cleaned up', async () => {
    const scenarios = (await listBuiltinScenarios()).map((scenario) => scenario.name);
    expect(scenarios).toHaveLength(9);
    await temp.write('x', '');
    for (const name of scenarios) {
      const file = temp.path(`${name}.json`);
      const result = await vitictl(
        ['apply', name, '--count', '12', '--run-id', `it-scenario-${name}`, '--out', file, '-q'],
        { env: env() },
      );
      expect(result.exitCode, `${name}: ${String(result.stderr)}${String(result.stdout)}`).toBe(0);
      const run = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
      expect(run.apply!.counts.failed, name).toBe(0);
      expect(run.apply!.counts.ready, name).toBe(run.scenario.objects);
      expect(run.cleanup!.deleted, name).toBe(run.scenario.objects);
      expect(run.cleanup!.leftBehind, name).toEqual([]);
    }
  }, 600_000);
});
