import { inputError, runtimeError } from '../errors.js';
import { RUN_ID_LABEL } from '../kube/labels.js';
import { type KubeRest, statusMessage, unreachable } from '../kube/rest.js';
import { newRetryCounters, requestWithRetry } from '../kube/retry.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { isPlainObject } from '../util/plain-object.js';

/** How long a namespace's create is retried through an API server that restarts or sheds load. */
const NAMESPACE_RETRY_MS = 60_000;

/**
 * Create the scenario's namespaces before any object. One that exists already is ours only when it
 * carries this run's label and the run reuses its id (--reuse-run-id); otherwise it is refused: the
 * run id was checked unused just before, so a namespace with its label is another run's, started at
 * the same moment with the same id, whose objects this run's cleanup would delete. Each one created
 * is added to `created` as its answer arrives, so a failure or an interrupt part way still leaves the
 * run a full list to clean up. A POST is retried as an object's create is (an API server
 * restarting); a 409 to a retry is ours when the namespace carries this run's label. An interrupt
 * stops between two attempts: a POST in flight is let finish, since an unanswered one would leave
 * unknown whether the namespace exists.
 */
export async function createNamespaces(
  rest: KubeRest,
  plan: ScenarioPlan,
  created: string[],
  reuseRunId: boolean,
  signal: AbortSignal,
): Promise<void> {
  const counters = newRetryCounters();
  // the in-flight request is let finish (no signal in its init); the interrupt ends the retries
  const policy = () => ({ deadline: performance.now() + NAMESPACE_RETRY_MS, counters, signal });
  for (const namespace of plan.namespaceObjects()) {
    if (signal.aborted) return;
    const name = namespace.metadata.name;
    const answer = await requestWithRetry(
      rest,
      'POST',
      '/api/v1/namespaces',
      { body: namespace, timeoutMs: 30_000 },
      policy(),
    );
    if (!answer.ok) {
      if (answer.interrupted) return;
      const last = answer.last;
      if (last && 'error' in last) throw unreachable(rest.server, last.error);
      throw runtimeError(`creating namespace ${name} failed: ${answer.reason}`);
    }
    const { response } = answer;
    if (response.status === 201) {
      created.push(name);
      continue;
    }
    if (response.status === 409) {
      const read = await requestWithRetry(
        rest,
        'GET',
        `/api/v1/namespaces/${name}`,
        { timeoutMs: 30_000 },
        policy(),
      );
      const existing = read.ok ? read.response : { status: 0, body: undefined };
      const labels =
        isPlainObject(existing.body) && isPlainObject(existing.body.metadata)
          ? existing.body.metadata.labels
          : undefined;
      const sameRunId = isPlainObject(labels) && labels[RUN_ID_LABEL] === plan.runId;
      // a retried POST refused as existing: the attempt whose answer was lost made it
      if (sameRunId && answer.attempts > 1) {
        created.push(name);
        continue;
      }
      if (sameRunId && reuseRunId) continue;
      if (sameRunId)
        throw inputError(
          `namespace ${name} was created by another run with run id ${plan.runId}, started at the same time`,
          {
            hint: 'give each run its own --run-id: two runs with one id would delete the objects of both',
          },
        );
      throw inputError(`namespace ${name} already exists and was not created by run ${plan.runId}`, {
        hint: 'use another --run-id, or namespaces.create: false in the scenario to reuse existing namespaces',
      });
    }
    throw runtimeError(`creating namespace ${name} failed: ${response.status} ${statusMessage(response)}`);
  }
}
