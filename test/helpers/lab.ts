import { execa } from 'execa';
import { inject } from 'vitest';
import { probe } from '../../src/lab/http-probe.js';
import type { LabState } from '../../src/lab/state.js';

export function lab(): LabState {
  return inject('lab');
}

/** kubectl against the shared lab (the real binary, as users run it). */
export function kubectl(args: string[], input?: string) {
  const state = lab();
  return execa('kubectl', args, {
    env: { KUBECONFIG: state.kubeconfig },
    reject: false,
    ...(input === undefined ? {} : { input }),
  });
}

export async function metricsText(): Promise<string> {
  const result = await probe(`http://127.0.0.1:${lab().ports.metrics}/metrics`, undefined, 5000);
  if (result.status !== 200) throw new Error(`metrics endpoint answered ${result.status}: ${result.body}`);
  return result.body;
}

/** Poll `check` until it returns a value, or fail after `timeoutMs` with the last observation. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
