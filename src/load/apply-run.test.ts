import { describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import { prepareScenario } from '../scenario/prepare.js';
import { assertTrackable, MAX_TRACKED_OBJECTS } from './apply-run.js';

async function plan(count: number, shard?: { index: number; count: number }) {
  return (
    await prepareScenario({
      scenario: 'machines',
      crdFiles: [],
      count,
      runId: 'big-1',
      ...(shard ? { shard } : {}),
    })
  ).plan;
}

function refusal(check: () => void): VitictlError {
  try {
    check();
  } catch (error) {
    if (error instanceof VitictlError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('the tracking budget of one apply', () => {
  it('takes a plan of exactly the bound', async () => {
    expect(MAX_TRACKED_OBJECTS).toBe(1_048_576);
    const exact = await plan(MAX_TRACKED_OBJECTS);
    expect(() => assertTrackable(exact)).not.toThrow();
  });

  it('refuses more, saying the memory it would take and how many shards to use (exit 2)', async () => {
    const whole = await plan(10_000_000);
    const error = refusal(() => assertTrackable(whole));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      '10,000,000 objects: tracking each until ready takes about 4882.8 MiB, more than the 512 MiB one apply may use (at most 1,048,576 objects)',
    );
    expect(error.hint).toBe(
      'split the run over at least 10 processes sharing one run id: --run-id ID --shard i/10 for i = 0 … 9',
    );
  });

  it('a shard still too big says so and counts the shards for the whole run', async () => {
    const shard = await plan(4_000_000, { index: 0, count: 2 });
    const error = refusal(() => assertTrackable(shard));
    expect(error.message).toMatch(/^2,000,000 objects in this shard: /);
    expect(error.hint).toMatch(/at least 4 processes .*--shard i\/4 for i = 0 … 3$/);
  });
});
