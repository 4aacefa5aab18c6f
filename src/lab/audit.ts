import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The lab's API server audit log: the ground truth of when a controller's write was committed.
 * Status writes of the VitiStack kinds are logged at RequestResponse level: the response carries the
 * object's new resourceVersion, which is how a write is matched exactly to the watch event it caused
 * (a time-based match could pick the wrong one of two quick writes). Their other writes and deletes
 * are logged at Request level (the patch, small, without the object it produced): which write set a
 * controller's annotation, and the last write to a deleted object, the one that released its
 * finalizer, the moment it was gone (an object gone with a write cannot carry a stamp of it). Every
 * other request is not logged.
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: RequestResponse
    verbs: [update, patch]
    resources:
      - group: vitistack.io
        resources: ["*/status"]
  - level: Request
    verbs: [update, patch, delete]
    resources:
      - group: vitistack.io
  - level: None
`;

export const auditLogPath = (dir: string) => join(dir, 'logs', 'audit.log');

/** Writes the policy beside the lab's state; the flags make kube-apiserver log to auditLogPath(dir). */
export async function auditArgs(dir: string): Promise<string[]> {
  const policy = join(dir, 'audit-policy.yaml');
  await writeFile(policy, AUDIT_POLICY);
  return [
    `--audit-policy-file=${policy}`,
    `--audit-log-path=${auditLogPath(dir)}`,
    '--audit-log-format=json',
    // bounded: one rotation of 256 MB (a 100,000-object run writes about 600 MB of status writes)
    '--audit-log-maxsize=256',
    '--audit-log-maxbackup=1',
  ];
}

/** The lab's audit log, when its API server writes one (a lab started by an older vitictl does not). */
export function labAuditLog(dir: string): string | undefined {
  const file = auditLogPath(dir);
  return existsSync(file) ? file : undefined;
}
