import { describe, expect, it } from 'vitest';
import { newRunId } from './run-id.js';

describe('newRunId', () => {
  it('is the UTC start time and four random hex digits, usable as a label value', () => {
    const at = new Date('2026-11-26T07:15:02.999Z');
    const ids = Array.from({ length: 50 }, () => newRunId(at));
    for (const id of ids) expect(id).toMatch(/^20261126-071502-[0-9a-f]{4}$/);
    expect(new Set(ids).size).toBeGreaterThan(1);
  });
});
