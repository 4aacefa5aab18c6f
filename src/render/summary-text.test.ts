import { describe, expect, it } from 'vitest';
import { hdr } from '../../test/helpers/run-fixture.js';
import type { CleanupResult } from '../report/sections/cleanup.js';
import type { Pacing } from '../report/sections/pacing.js';
import { cleanupText, pacingText } from './summary-text.js';

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

describe('pacingText', () => {
  const apply = { rateFlag: '--qps', scrapedApiServer: false } as const;
  const pacing = (cpuWaitMs: number | null, cpuWaitShare: number | null): Pacing => ({
    lateness: hdr([0.01, 0.02, 0.03, 14]),
    lateStretches: 3,
    lateStretchMs: 400,
    cpuWaitMs,
    cpuWaitShare,
  });

  it('lays the lateness to the host when vitictl mostly waited for a CPU, and names its own scrape when it ran one', () => {
    const { text, warning } = pacingText(pacing(300, 0.75), { rateFlag: '--qps', scrapedApiServer: true });
    expect(text).toContain('3 stretches > 5 ms late, 400ms; vitictl waited for a CPU 300ms of it (75%)');
    expect(warning).toMatch(/^late starts: mostly waiting for a CPU/);
    expect(warning).toContain(
      "lower --qps; scraping the API server's metrics takes CPU too: --no-apiserver-metrics)",
    );
    expect(pacingText(pacing(300, 0.75), apply).warning).not.toContain('--no-apiserver-metrics');
  });

  it('lays it to the target when the generator mostly held its starts at the in-flight limit, even where the OS does not report the wait', () => {
    const held = { ...pacing(null, null), inFlightLimit: 2000, inFlightWaitMs: 300 };
    const { text, warning } = pacingText(held, apply);
    expect(text).toContain('; held with 2000 creates unanswered 300ms (75%)');
    expect(warning).toBe(
      'late starts: mostly held back with 2000 creates unanswered: the API server answered slower than --qps asked (lower --qps)',
    );
    const webhook = pacingText(
      { ...held, inFlightWaitMs: 200 },
      { rateFlag: '--rate', scrapedApiServer: false },
    );
    expect(webhook.warning).toBe(
      'late starts: mostly held back with 2000 reviews unanswered: the webhook answered slower than --rate asked (lower --rate)',
    );
    // less than half of it held: the CPU wait decides
    const mixed = { ...pacing(250, 0.625), inFlightLimit: 2000, inFlightWaitMs: 100 };
    expect(pacingText(mixed, apply).warning).toMatch(/^late starts: mostly waiting for a CPU/);
  });

  it("lays it to vitictl's own event loop when the thread mostly ran", () => {
    expect(pacingText(pacing(40, 0.1), apply).warning).toMatch(/vitictl's own event loop/);
  });

  it('names no cause where the OS does not report the wait, and warns of nothing without late stretches', () => {
    const unknown = pacingText(pacing(null, null), apply);
    expect(unknown.text).not.toContain('waited');
    expect(unknown.warning).toBeUndefined();
    const onTime = pacingText({ ...pacing(0, null), lateStretches: 0, lateStretchMs: 0 }, apply);
    expect(onTime.text).toMatch(/^start lateness p50 .*, p99 .* \(max .*\)$/);
    expect(onTime.warning).toBeUndefined();
  });
});
