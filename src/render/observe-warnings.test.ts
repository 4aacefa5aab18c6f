import { describe, expect, it } from 'vitest';
import { unansweredTargetLine } from './observe-warnings.js';

describe('the line for a metrics target that never answered', () => {
  it('counts the failed scrapes, with the last cause and its hint', () => {
    expect(
      unansweredTargetLine({
        target: 'http://127.0.0.1:1/metrics',
        scrapes: 0,
        failures: 3,
        lastFailure: {
          kind: 'connection',
          at: '2026-12-07T00:00:00.000Z',
          reason: 'refused (ECONNREFUSED)',
          hint: 'nothing listens there',
        },
        signals: null,
      }),
    ).toBe(
      'metrics target http://127.0.0.1:1/metrics never answered (3 scrapes failed, last: refused (ECONNREFUSED)): no controller signals from it; hint: nothing listens there',
    );
  });

  it('says no scrape ended when an interrupt abandoned the only one in flight', () => {
    expect(
      unansweredTargetLine({
        target: 'https://127.0.0.1:9/metrics',
        scrapes: 0,
        failures: 0,
        signals: null,
      }),
    ).toBe(
      'metrics target https://127.0.0.1:9/metrics never answered (no scrape ended before the run stopped): no controller signals from it',
    );
  });
});
