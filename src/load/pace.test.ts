import { describe, expect, it } from 'vitest';
import { connectionsToWarm } from './pace.js';

describe('connectionsToWarm', () => {
  it('opens what an open loop keeps in flight with 50 ms creates, rounded up', () => {
    expect(connectionsToWarm({ mode: 'open', rate: 500 }, 64)).toBe(25);
    expect(connectionsToWarm({ mode: 'open', rate: 30 }, 64)).toBe(2);
    expect(connectionsToWarm({ mode: 'open', rate: 0.5 }, 64)).toBe(1);
  });

  it('opens a closed loop its concurrency', () => {
    expect(connectionsToWarm({ mode: 'closed', concurrency: 16 }, 24)).toBe(16);
  });

  it('never opens more than the pool does', () => {
    expect(connectionsToWarm({ mode: 'open', rate: 5000 }, 64)).toBe(64);
  });
});
