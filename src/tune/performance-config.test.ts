import { describe, expect, it } from 'vitest';
import { thrownBy } from '../../test/helpers/errors.js';
import { formatLocation } from '../errors.js';
import { parsePerformanceYaml } from './performance-config.js';

describe('parsePerformanceYaml', () => {
  it('reads an empty document as no settings', () => {
    expect(parsePerformanceYaml('', 'cm')).toEqual({});
  });

  it('refuses a wrong type as bad input at the position, naming the ConfigMap', () => {
    const error = thrownBy(() => parsePerformanceYaml('gc:\n  gogc: lots\n', 'configmap ns/cfg'));
    expect(error.kind).toBe('input');
    expect(error.message).toMatch(/invalid performance config at \.gc\.gogc/);
    expect(formatLocation(error.location)).toBe('configmap ns/cfg:2:9');
  });
});
