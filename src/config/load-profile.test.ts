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

const withPhases = (phases: string, extra = '') => `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: p}
spec:
  scenario: machines
  load: {qps: 10}
${extra}  phases:
${phases}`;

describe('loading a profile with phases', () => {
  const temp = useTempDir();
  const refusal = async (text: string) => {
    const file = await temp.write('p.yaml', text);
    const error = (await loadProfile(file).catch((caught: unknown) => caught)) as VitictlError;
    expect(error).toBeInstanceOf(VitictlError);
    return { message: error.message, at: formatLocation(error.location), hint: error.hint, file };
  };

  it('names every phase, parses shares and durations, and adds the gates listed with a phase to the run', async () => {
    const loaded = await loadProfile(
      await temp.write(
        'p.yaml',
        withPhases(`    - type: create
    - {type: update, share: 30%, qps: 20, patch: {spec: {memory: 4096}}, gates: [update.ready.p99 < 10s]}
    - {type: churn, share: 0.1, qps: 20, period: 5s, cycles: 2}
    - {type: read, with: churn, qps: 5}
    - {name: last, type: delete, qps: 30}
`),
      ),
    );
    expect(loaded.phases.map((phase) => phase.name)).toEqual(['create', 'update', 'churn', 'read', 'last']);
    expect(loaded.phases[1]).toMatchObject({ share: 0.3, patchType: 'merge', timeout: 120_000 });
    expect(loaded.phases[2]).toMatchObject({ share: 0.1, period: 5000, cycles: 2 });
    expect(loaded.phases[3]).toMatchObject({ mix: { list: 1, cachedList: 1, get: 8 }, pageSize: 500 });
    expect(loaded.gates.map((gate) => gate.metric)).toEqual(['update.ready.p99']);
  });

  it('a profile without phases is one create phase, with its webhook section alongside', async () => {
    const plain = await loadProfile(await temp.write('p.yaml', profile('    - ready.p99 < 30s\n')));
    expect(plain.phases).toEqual([{ type: 'create', name: 'create', gates: [] }]);
    const webhook = await loadProfile(
      await temp.write(
        'w.yaml',
        `${profile('    - webhook.p99 < 1s\n')}  webhook: {configuration: c, rate: 10, duration: 2s}\n`,
      ),
    );
    expect(webhook.phases[1]).toMatchObject({ type: 'webhook', with: 'create', rate: 10, duration: 2000 });
  });

  it('refuses a lifecycle that does not start with create, where the phase is', async () => {
    const refused = await refusal(withPhases('    - {type: delete, qps: 1}\n    - {type: create}\n'));
    expect(refused.message).toMatch(/the first phase must be create/);
    expect(refused.at).toBe(`${refused.file}:8:7`);
  });

  it('refuses "with:" naming a later or unknown phase, and update or churn alongside the creates', async () => {
    const later = await refusal(
      withPhases(
        '    - {type: create}\n    - {type: read, qps: 1, with: churn}\n    - {type: churn, share: 10%, qps: 1}\n',
      ),
    );
    expect(later.message).toMatch(/"with: churn" names no earlier phase/);
    expect(later.at).toBe(`${later.file}:9:34`);
    const alongside = await refusal(
      withPhases('    - {type: create}\n    - {type: update, with: create, qps: 1, patch: {spec: {a: 1}}}\n'),
    );
    expect(alongside.message).toMatch(/cannot run alongside the creates/);
  });

  it('refuses two phases of one name, a read on its own without a duration, a share above 100%, and phases with spec.webhook', async () => {
    expect(
      (
        await refusal(
          withPhases('    - {type: create}\n    - {type: delete, qps: 1}\n    - {type: delete, qps: 2}\n'),
        )
      ).message,
    ).toMatch(/two phases are named "delete"/);
    expect((await refusal(withPhases('    - {type: create}\n    - {type: read, qps: 1}\n'))).message).toMatch(
      /a read phase on its own needs a duration/,
    );
    expect(
      (await refusal(withPhases('    - {type: create}\n    - {type: churn, share: 150%, qps: 1}\n'))).message,
    ).toMatch(/not a share/);
    expect(
      (await refusal(withPhases('    - {type: create}\n', '  webhook: {configuration: c, rate: 10}\n')))
        .message,
    ).toMatch(/spec.webhook and spec.phases both set/);
  });

  it('names a missing required field as missing, at the phase that lacks it', async () => {
    const missing = await refusal(withPhases('    - {type: create}\n    - {type: delete}\n'));
    expect(missing.message).toMatch(/at \.spec\.phases\[1\]\.qps: required \(number\), missing$/);
    expect(missing.at).toBe(`${missing.file}:9:7`);
  });

  it('the built-in lifecycle profile loads: create, update, churn with webhook and read alongside, delete', async () => {
    const loaded = await loadProfile('lifecycle');
    expect(loaded.phases.map((phase) => [phase.type, phase.with ?? null])).toEqual([
      ['create', null],
      ['update', null],
      ['churn', null],
      ['webhook', 'churn'],
      ['read', 'churn'],
      ['delete', null],
    ]);
  });
});
