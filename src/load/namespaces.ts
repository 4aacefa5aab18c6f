import { inputError, runtimeError } from '../errors.js';
import { RUN_ID_LABEL } from '../kube/labels.js';
import { type KubeRest, NetworkError, type RestResponse, statusMessage, unreachable } from '../kube/rest.js';
import type { ScenarioPlan } from '../scenario/expand.js';
import { isPlainObject } from '../util/plain-object.js';

/**
 * Create the scenario's namespaces before any object; one that exists already is ours only when it
 * carries this run's label and the run reuses its id (--reuse-run-id), otherwise it is refused: the
 * run id was checked unused just before, so a namespace with its label is another run's, started
 * at the same moment with the same id, whose objects this run's cleanup would delete. Each one created is added to
 * `created` as its answer arrives, so a failure or an interrupt part way still leaves the run a full
 * list to clean up. An interrupt stops between two namespaces: a POST in flight is let finish, since an
 * unanswered one would leave unknown whether the namespace exists.
 */
export async function createNamespaces(
  rest: KubeRest,
  plan: ScenarioPlan,
  created: string[],
  reuseRunId: boolean,
  signal: AbortSignal,
): Promise<void> {
  for (const namespace of plan.namespaceObjects()) {
    if (signal.aborted) return;
    const name = namespace.metadata.name;
    let response: RestResponse;
    try {
      response = await rest.request('POST', '/api/v1/namespaces', { body: namespace, timeoutMs: 30_000 });
    } catch (error) {
      if (error instanceof NetworkError) throw unreachable(rest.server, error);
      throw error;
    }
    if (response.status === 201) {
      created.push(name);
      continue;
    }
    if (response.status === 409) {
      const existing = await rest.request('GET', `/api/v1/namespaces/${name}`, { timeoutMs: 30_000 });
      const labels =
        isPlainObject(existing.body) && isPlainObject(existing.body.metadata)
          ? existing.body.metadata.labels
          : undefined;
      const sameRunId = isPlainObject(labels) && labels[RUN_ID_LABEL] === plan.runId;
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
