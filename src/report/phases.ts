import type { RunResult } from './run-result.js';

/**
 * The phases of a run (preflight, apply, cleanup, …) as the RunResult records them: each one's wall
 * start, end and seconds, announced to `onPhase` as it begins.
 */
export function phaseRecorder<Name extends string = string>(onPhase?: (name: Name) => void, prefix = '') {
  const phases: RunResult['phases'] = [];
  const phase = async <T>(name: Name, work: () => Promise<T>): Promise<T> => {
    onPhase?.(name);
    const start = new Date();
    try {
      return await work();
    } finally {
      const end = new Date();
      phases.push({
        name: `${prefix}${name}`,
        start: start.toISOString(),
        end: end.toISOString(),
        seconds: (end.getTime() - start.getTime()) / 1000,
      });
    }
  };
  return { phases, phase };
}
