import { describe, expect, it } from 'vitest';
import { compileReadiness } from './readiness.js';

const machine = (phase: string, ready?: string, extra: Record<string, unknown> = {}) => ({
  status: {
    phase,
    ...(ready
      ? {
          conditions: [
            {
              type: 'Ready',
              status: ready,
              lastTransitionTime: '2026-11-26T07:00:01Z',
              message: 'cloud said no',
            },
          ],
        }
      : {}),
    ...extra,
  },
});

describe('readiness like kubectl wait', () => {
  it('waits for a field value', () => {
    const check = compileReadiness({ field: { path: '.status.phase', equals: 'Running' } });
    expect(check(machine('Creating'))).toEqual({ state: 'pending' });
    expect(check(machine('Running'))).toEqual({ state: 'ready' });
    expect(check({})).toEqual({ state: 'pending' });
  });

  it('waits for a condition and reports its transition time', () => {
    const check = compileReadiness({ condition: { type: 'Ready', status: 'True' } });
    expect(check(machine('Running', 'False'))).toEqual({ state: 'pending' });
    expect(check(machine('Running', 'True'))).toEqual({ state: 'ready', serverTime: '2026-11-26T07:00:01Z' });
  });

  it('needs both when both are given', () => {
    const check = compileReadiness({
      condition: { type: 'Ready', status: 'True' },
      field: { path: '.status.phase', equals: 'Running' },
    });
    expect(check(machine('Creating', 'True')).state).toBe('pending');
    expect(check(machine('Running', 'True')).state).toBe('ready');
  });

  it('recognises failure, with the reason from the failure message path', () => {
    const check = compileReadiness({
      field: { path: '.status.phase', equals: 'Running' },
      failed: { field: { path: '.status.phase', equals: 'Failed' } },
      failureMessagePath: '.status.failureMessage',
    });
    expect(check(machine('Failed', undefined, { failureMessage: 'quota exceeded' }))).toEqual({
      state: 'failed',
      reason: 'quota exceeded',
    });
    expect(check(machine('Failed'))).toEqual({ state: 'failed', reason: '.status.phase = Failed' });
  });
});
