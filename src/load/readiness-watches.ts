import { runtimeError } from '../errors.js';
import type { ApiResource } from '../kube/discovery.js';
import type { ReadinessCheck } from '../kube/readiness.js';
import { NetworkError, unreachable } from '../kube/rest.js';
import { ResumableWatch } from '../kube/watch.js';
import type { ApplyResult } from '../report/run-result.js';
import type { ApplyEngineOptions } from './apply-engine.js';
import type { ObjectTracker } from './tracker.js';

/**
 * The watches that time readiness: one per resource (per namespace when RBAC allows no more), open
 * before the first create so no event is missed; their gaps are recorded. Closed by the caller. An
 * interrupt while they open (an API server that stopped answering keeps a first watch retrying) leaves
 * none open: the run then creates nothing and ends as interrupted.
 */
export async function openReadinessWatches(
  options: Pick<ApplyEngineOptions, 'plan' | 'watchRest' | 'watchScope' | 'signal'>,
  checks: ReadonlyArray<ReadinessCheck | undefined>,
  resourceOf: (setIndex: number) => ApiResource,
  tracker: ObjectTracker,
): Promise<{ watches: ResumableWatch[]; gaps: ApplyResult['watch']['gaps'] }> {
  const { plan, watchRest: rest } = options;
  const gaps: ApplyResult['watch']['gaps'] = [];
  const watches: ResumableWatch[] = [];
  const watched = new Set<string>();
  for (let i = 0; i < plan.sets.length; i++) {
    if (!checks[i]) continue;
    const resource = resourceOf(i);
    const key = `${resource.apiVersion}/${resource.kind}`;
    if (watched.has(key)) continue;
    watched.add(key);
    const scopes = resource.namespaced && options.watchScope === 'namespaces' ? plan.namespaces : [undefined];
    for (const namespace of scopes) {
      const watch = new ResumableWatch(rest, resource, namespace, plan.labelSelector, {
        onEvent: (type, object, at) => tracker.observe(object, at, type, resource.kind),
        onRelist: (objects, at) => {
          for (const object of objects) tracker.observe(object, at, 'RELIST', resource.kind);
        },
        onGap: (start, end, reason) =>
          gaps.push({
            resource: watch.name,
            start: start.toISOString(),
            end: end.toISOString(),
            seconds: (end.getTime() - start.getTime()) / 1000,
            reason,
          }),
      });
      watches.push(watch);
    }
  }
  try {
    await Promise.all(watches.map((watch) => watch.start(options.signal)));
  } catch (error) {
    await Promise.all(watches.map((watch) => watch.stop()));
    if (options.signal.aborted) return { watches: [], gaps };
    if (error instanceof NetworkError) throw unreachable(rest.server, error);
    throw runtimeError(`could not open the readiness watches: ${(error as Error).message}`);
  }
  return { watches, gaps };
}
