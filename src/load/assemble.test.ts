import { describe, expect, it } from 'vitest';
import { completedRate } from './assemble.js';

/** n creates sent at `rate`/s, each acknowledged `latency(i)` ms after it was sent */
function creates(n: number, rate: number, latency: (i: number) => number) {
  return Array.from({ length: n }, (_, i) => ({
    sentAt: (i * 1000) / rate,
    ackAt: (i * 1000) / rate + latency(i),
  }));
}

describe('the rate the cluster completed creates at', () => {
  it('is the send rate when every create takes as long', () => {
    expect(
      completedRate(
        creates(200, 50, () => 300),
        50,
      ),
    ).toBeCloseTo(50, 5);
  });

  it('is the rate the server kept up with when it fell behind (500/s sent, 340/s served)', () => {
    // a server serving one create every 1000/340 ms: the i-th waits for the i before it
    const served = creates(1000, 500, (i) => 5 + i * (1000 / 340 - 1000 / 500));
    expect(completedRate(served, 500)).toBeCloseTo(340, 0);
  });

  it('one slow answer at the start moves it little', () => {
    const rate = completedRate(
      creates(200, 50, (i) => (i === 0 ? 2000 : 300)),
      50,
    );
    expect(rate).toBeGreaterThan(45);
  });

  it('is never above what was sent (a cluster catching up after a slow start)', () => {
    expect(
      completedRate(
        creates(200, 50, (i) => 1000 - 4 * i),
        50,
      ),
    ).toBe(50);
  });

  it('counts only acknowledged creates; fewer than two give no rate', () => {
    expect(completedRate([{ sentAt: 0, ackAt: 5 }, { sentAt: 10 }], 50)).toBeNull();
  });
});
