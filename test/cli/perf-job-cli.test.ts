import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/files.js';

describe('vitictl perf job (in-process)', () => {
  const temp = useTempDir();

  it("grants patch on the scenario's kinds only when the profile has an update phase", async () => {
    await temp.write('x', '');
    const rules = async (profile: string) => {
      const out = temp.path(`${profile}.yaml`);
      const result = await runCli([
        'perf',
        'job',
        profile,
        '--shards',
        '2',
        '--image',
        'vitictl:test',
        '--out',
        out,
      ]);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      const role = parseAllDocuments(readFileSync(out, 'utf8'))
        .map((doc) => doc.toJS() as { kind: string; rules?: Array<{ verbs: string[]; resources: string[] }> })
        .find((manifest) => manifest.kind === 'ClusterRole');
      return role!.rules!.find((rule) => rule.resources.includes('machines'))!.verbs;
    };
    expect(await rules('lifecycle')).toEqual(['create', 'get', 'list', 'watch', 'delete', 'patch']);
    expect(await rules('smoke')).toEqual(['create', 'get', 'list', 'watch', 'delete']);
  });
});
