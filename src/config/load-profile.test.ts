import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { formatLocation, VitictlError } from '../errors.js';
import { loadProfile } from './load-profile.js';

const profile = (gates: string) => `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: p}
spec:
  scenario: machines
  load: {qps: 10}
  gates:
${gates}`;

describe('loading a profile', () => {
  const temp = useTempDir();

  it('parses its gates', async () => {
    const loaded = await loadProfile(await temp.write('p.yaml', profile('    - ready.p99 < 30s\n')));
    expect(loaded.gates).toMatchObject([{ metric: 'ready.p99', op: '<', right: { value: 30_000 } }]);
  });

  it('refuses a gate without a threshold at load time, naming file:line:column', async () => {
    const file = await temp.write('p.yaml', profile('    - ready.p50 < 1s\n    - "ready.p99 <"\n'));
    const error = await loadProfile(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(VitictlError);
    expect((error as VitictlError).message).toMatch(/gate "ready.p99 <": no threshold/);
    expect(formatLocation((error as VitictlError).location)).toBe(`${file}:9:7`);
  });
});
