import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/files.js';
import { onZone, vitictlArgs, worstExitCode } from '../cli/viti.js';
import { formatLocation, VitictlError } from '../errors.js';
import { hasOption, optionValue, splitZoneArgs, withOption } from './argv.js';
import { findZone, loadVitiConfig, vitiConfigPath } from './zones.js';

describe('viti perf: arguments', () => {
  it('takes -z, --az, --availabilityzone (with = too) and --all-zones out of the arguments', () => {
    expect(splitZoneArgs(['run', 'smoke', '-z', 'oslo'])).toEqual({
      zone: 'oslo',
      allZones: false,
      rest: ['run', 'smoke'],
    });
    expect(splitZoneArgs(['--az=bergen', 'apply', 'machines'])).toEqual({
      zone: 'bergen',
      allZones: false,
      rest: ['apply', 'machines'],
    });
    expect(splitZoneArgs(['--availabilityzone', 'x', 'run', '--all-zones']).zone).toBe('x');
    expect(splitZoneArgs(['run', '--all-zones']).allZones).toBe(true);
    expect(splitZoneArgs(['apply', '--', '-z', 'kept']).rest).toEqual(['apply', '--', '-z', 'kept']);
    for (const bad of [['-z'], ['--az', '--lab'], ['--az=']]) {
      const error = (() => {
        try {
          splitZoneArgs(bad);
        } catch (e) {
          return e;
        }
      })() as VitictlError;
      expect(error).toBeInstanceOf(VitictlError);
      expect(error.exitCode).toBe(2);
    }
  });

  it('maps viti perf ARGS to vitictl: perf subcommands get perf in front, other commands pass as they are', () => {
    expect(vitictlArgs(['run', 'smoke'])).toEqual(['perf', 'run', 'smoke']);
    expect(vitictlArgs(['--kubeconfig', 'run', 'collect', 'x'])).toEqual([
      '--kubeconfig',
      'run',
      'perf',
      'collect',
      'x',
    ]);
    expect(vitictlArgs(['apply', 'machines', '--count', '5'])).toEqual(['apply', 'machines', '--count', '5']);
    expect(vitictlArgs(['perf', 'run'])).toEqual(['perf', 'run']);
    expect(vitictlArgs(['--help'])).toEqual(['perf', '--help']);
    expect(vitictlArgs([])).toEqual(['perf']);
  });

  it("puts the zone's kubeconfig and context in front unless --kubeconfig or --context are given", () => {
    const zone = { name: 'oslo', kubeconfig: '/k/oslo', context: 'oslo-admin' };
    expect(onZone(['perf', 'run'], zone)).toEqual([
      '--kubeconfig',
      '/k/oslo',
      '--context',
      'oslo-admin',
      'perf',
      'run',
    ]);
    expect(onZone(['perf', 'run', '--context=mine'], zone)).toEqual([
      '--kubeconfig',
      '/k/oslo',
      'perf',
      'run',
      '--context=mine',
    ]);
    expect(onZone(['--kubeconfig', '/mine', 'apply'], { ...zone, context: undefined })).toEqual([
      '--kubeconfig',
      '/mine',
      'apply',
    ]);
  });

  it('reads and replaces option values, and ranks exit codes error > bad input > gate', () => {
    expect(optionValue(['run', '--out-dir', 'r'], '--out-dir')).toBe('r');
    expect(optionValue(['run', '--out-dir=r2'], '--out-dir')).toBe('r2');
    expect(withOption(['run', '--out-dir', 'r'], '--out-dir', 'r/oslo')).toEqual([
      'run',
      '--out-dir',
      'r/oslo',
    ]);
    expect(withOption(['run'], '--out-dir', 'x')).toEqual(['run', '--out-dir', 'x']);
    expect(hasOption(['run', '--', '--context'], '--context')).toBe(false);
    expect(worstExitCode([0, 3, 0])).toBe(3);
    expect(worstExitCode([3, 2, 1])).toBe(1);
    expect(worstExitCode([0, 0])).toBe(0);
  });
});

describe('viti perf: the availability zones of ~/.vitistack/ctl.config.yaml', () => {
  const temp = useTempDir();

  it('reads VITI_CONFIG (else ~/.vitistack/ctl.config.yaml); kubeconfig paths expand ~ and resolve beside the file', async () => {
    expect(vitiConfigPath({ HOME: '/home/u' })).toBe('/home/u/.vitistack/ctl.config.yaml');
    const file = await temp.write(
      'ctl.config.yaml',
      'availabilityzones:\n  - {name: oslo, kubeconfig: ~/kube/oslo, context: oslo-admin}\n  - {name: bergen, kubeconfig: bergen.yaml}\n',
    );
    const config = await loadVitiConfig({ VITI_CONFIG: file, HOME: '/home/u' });
    expect(config.zones).toEqual([
      { name: 'oslo', kubeconfig: '/home/u/kube/oslo', context: 'oslo-admin' },
      { name: 'bergen', kubeconfig: temp.path('bergen.yaml'), context: undefined },
    ]);
    expect(findZone(config, 'bergen').name).toBe('bergen');
    const unknown = (() => {
      try {
        findZone(config, 'trondheim');
      } catch (e) {
        return e;
      }
    })() as VitictlError;
    expect(unknown.message).toBe(`no availability zone "trondheim" in ${file}`);
    expect(unknown.hint).toBe('zones there: oslo, bergen');
    expect(unknown.exitCode).toBe(2);
  });

  it('a config of the wrong shape, a zone listed twice, or no file at all is bad input with its position', async () => {
    const cases: Array<[string, RegExp, string]> = [
      [
        'availabilityzones:\n  - {kubeconfig: x}\n',
        /^invalid viti config at \.availabilityzones\[0\]\.name/,
        ':2:5',
      ],
      [
        'availabilityzones:\n  - {name: a}\n  - {name: a}\n',
        /^availability zone "a" is listed twice$/,
        ':3:12',
      ],
      ['availabilityzones: [\n', /^malformed YAML/, ':2:1'],
    ];
    for (const [text, message, position] of cases) {
      const file = await temp.write('ctl.config.yaml', text);
      const error = (await loadVitiConfig({ VITI_CONFIG: file }).catch((e: unknown) => e)) as VitictlError;
      expect(error).toBeInstanceOf(VitictlError);
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(message);
      expect(formatLocation(error.location)).toBe(`${file}${position}`);
    }
    const missing = (await loadVitiConfig({ VITI_CONFIG: temp.path('nope.yaml') }).catch(
      (e: unknown) => e,
    )) as VitictlError;
    expect(missing.exitCode).toBe(2);
  });
});
