import { describe, expect, it } from 'vitest';
import type { CleanupResult } from '../report/run-result.js';
import { cleanupText } from './summary-text.js';

const base: CleanupResult = {
  found: 12,
  deleted: 12,
  alreadyGone: 0,
  failed: 0,
  errors: {},
  retries: 0,
  namespacesDeleted: ['ns-a', 'ns-b'],
  namespacesFailed: [],
  leftBehind: [],
  leftBehindCount: 0,
  problems: [],
  seconds: 9.25,
};

describe('cleanupText', () => {
  it('says how long the namespaces took to go', () => {
    expect(cleanupText({ ...base, namespacesWait: { seconds: 6.04, timedOut: false } })).toBe(
      'cleanup: deleted 12 objects and 2 namespaces (gone in 6.0s) in 9.3s',
    );
  });

  it('calls namespaces still there when the wait ended incomplete', () => {
    const cleanup: CleanupResult = {
      ...base,
      leftBehind: ['namespaces/ns-b'],
      leftBehindCount: 1,
      namespacesWait: { seconds: 120.4, timedOut: true },
    };
    expect(cleanupText(cleanup)).toBe(
      'cleanup incomplete: found 12, deleted 12, 1 left behind, namespaces still there after 120.4s in 9.3s',
    );
  });

  it('reads a result written before the wait was recorded', () => {
    expect(cleanupText(base)).toBe('cleanup: deleted 12 objects and 2 namespaces in 9.3s');
  });
});
