import { describe, expect, it } from 'vitest';
import { configHash, generationIn, rolloutComplete } from './settle.js';

describe('the config generation the controller reports', () => {
  it('hashes performance.yaml as the lab operator does (pinned in its Go test too)', () => {
    expect(configHash('x')).toBe('2d711642b726b044');
    expect(configHash(undefined)).toBe('absent');
    expect(configHash('')).not.toBe('absent');
  });

  it('reads the series from an exposition, or null when there is none', () => {
    const text = [
      '# HELP vitistack_config_generation The performance config in force.',
      '# TYPE vitistack_config_generation gauge',
      'vitistack_config_generation{hash="2d711642b726b044"} 4711',
      'go_goroutines 12',
      '',
    ].join('\n');
    expect(generationIn(text)).toEqual({ hash: '2d711642b726b044', generation: 4711 });
    expect(generationIn('go_goroutines 12\n')).toBeNull();
  });
});

describe('rolloutComplete', () => {
  it('is true only once the new template is observed and every replica is updated and available', () => {
    const spec = { metadata: { generation: 3 }, spec: { replicas: 2 } };
    expect(
      rolloutComplete({
        ...spec,
        status: { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(true);
    expect(
      rolloutComplete({
        ...spec,
        status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(false);
    // an old pod still terminating
    expect(
      rolloutComplete({
        ...spec,
        status: { observedGeneration: 3, replicas: 3, updatedReplicas: 2, availableReplicas: 2 },
      }),
    ).toBe(false);
  });
});
