import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { runtimeError } from '../../errors.js';
import type { TimelineRow } from '../../load/apply-engine.js';
import { newHistogram, recordMs, summarize } from '../../report/histogram.js';
import type { GroundTruth } from '../../report/run-result.js';

/**
 * The API server's audit log as ground truth for the last step of time-to-ready: the status write that
 * made an object ready is found by the resourceVersion its response carries (the same one the ready
 * watch event has), so two quick writes cannot be confused; its completion time is the audit event's
 * stageTimestamp, in µs on the server's clock (the same machine's clock in the lab).
 */

/** Where the run's part of the log starts: its size before the first create. */
export async function auditLogOffset(file: string): Promise<number> {
  return (await stat(file)).size;
}

const auditEventSchema = z.object({
  stage: z.string(),
  objectRef: z.object({
    resource: z.string(),
    namespace: z.string().optional(),
    name: z.string(),
    subresource: z.string().optional(),
  }),
  responseStatus: z.object({ code: z.number() }).optional(),
  responseObject: z.object({ metadata: z.object({ resourceVersion: z.string() }) }).optional(),
  stageTimestamp: z.string(),
});

/** An RFC 3339 time with up to µs fraction → ms since the epoch, keeping the µs (Date.parse drops them). */
export function microTimeMs(text: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return seconds + Math.round(fraction * 1000) / 1000;
}

const objectKey = (resource: string, namespace: string | undefined, name: string) =>
  `${resource}\u0000${namespace ?? ''}\u0000${name}`;

/** resourceVersions are etcd revisions as decimal text: ordered as numbers (undefined when not one) */
const revision = (version: string): bigint | undefined =>
  /^\d+$/.test(version) ? BigInt(version) : undefined;

export interface GroundTruthResult {
  section: GroundTruth;
  /** committed (server ms) per timeline row key, for --timeline */
  committed: Map<string, number>;
}

export const rowKey = (row: Pick<TimelineRow, 'kind' | 'namespace' | 'name'>) =>
  `${row.kind}\u0000${row.namespace ?? ''}\u0000${row.name}`;

interface Wanted {
  row: TimelineRow;
  version: string;
  revision: bigint | undefined;
  /** the latest status write at or before the ready version found so far */
  found?: { revision: bigint | undefined; at: number };
}

/**
 * Reads the log from `offset` (from its start when it was rotated meanwhile) and times each ready row
 * by the status write that made it ready: the one whose response has the ready event's resourceVersion,
 * or, when a later write of another kind (a finalizer, labels) was the first event vitictl evaluated,
 * the last status write before it. Memory: one entry per ready object; lines that are not a completed
 * status write are skipped unparsed.
 */
export async function groundTruth(
  file: string,
  offset: number,
  rows: Iterable<TimelineRow>,
  resourceOf: (kind: string) => string | undefined,
): Promise<GroundTruthResult> {
  const wanted = new Map<string, Wanted>();
  for (const row of rows) {
    const resource = resourceOf(row.kind);
    if (row.state !== 'ready' || !row.readyVersion || !resource) continue;
    wanted.set(objectKey(resource, row.namespace, row.name), {
      row,
      version: row.readyVersion,
      revision: revision(row.readyVersion),
    });
  }
  const missing = () => [...wanted.values()].some((entry) => !entry.found);
  // the server logs a write complete after answering it, so the watch event of the run's last write
  // can arrive before its line: wait a little for writes not yet in the log
  for (const waitMs of [0, 250, 500, 1000]) {
    await sleep(waitMs);
    try {
      await readCommits(file, offset, wanted);
    } catch (error) {
      throw runtimeError(`cannot read the audit log ${file}: ${(error as Error).message}`, {
        hint: "it was there when the run started; a rotation that moved it away (the API server's --audit-log-maxsize) or its removal loses the run's commits: give it room for a run, or run without --audit-log",
      });
    }
    if (!missing()) break;
  }
  const committed = new Map<string, number>();
  for (const entry of wanted.values()) if (entry.found) committed.set(rowKey(entry.row), entry.found.at);
  const readyRows = [...wanted.values()].map((entry) => entry.row);
  return { section: summarizeGroundTruth(file, readyRows, committed), committed };
}

async function readCommits(file: string, offset: number, wanted: Map<string, Wanted>): Promise<void> {
  const size = (await stat(file)).size;
  const lines = createInterface({
    input: createReadStream(file, { start: size < offset ? 0 : offset }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (!line.includes('"ResponseComplete"') || !line.includes('"status"')) continue;
    let parsed: z.infer<typeof auditEventSchema>;
    try {
      const event = auditEventSchema.safeParse(JSON.parse(line));
      if (!event.success) continue;
      parsed = event.data;
    } catch {
      continue; // a line cut by rotation
    }
    const { objectRef, responseObject, responseStatus } = parsed;
    if (parsed.stage !== 'ResponseComplete' || objectRef.subresource !== 'status') continue;
    if (!responseObject || (responseStatus && responseStatus.code >= 300)) continue;
    const entry = wanted.get(objectKey(objectRef.resource, objectRef.namespace, objectRef.name));
    const at = microTimeMs(parsed.stageTimestamp);
    if (!entry || at === undefined) continue;
    const version = responseObject.metadata.resourceVersion;
    const written = revision(version);
    const atOrBefore =
      version === entry.version ||
      (written !== undefined && entry.revision !== undefined && written < entry.revision);
    const later =
      !entry.found ||
      (written !== undefined && entry.found.revision !== undefined && written > entry.found.revision);
    if (atOrBefore && later) entry.found = { revision: written, at };
  }
  lines.close();
}

function summarizeGroundTruth(
  file: string,
  rows: TimelineRow[],
  committed: Map<string, number>,
): GroundTruth {
  const commitToRead = newHistogram();
  const readToMarked = newHistogram();
  const commitToMarked = newHistogram();
  let readBeforeLogged = 0;
  for (const row of rows) {
    const at = committed.get(rowKey(row));
    if (at === undefined || row.ready === undefined || row.marked === undefined) continue;
    if (row.ready < at) readBeforeLogged++;
    recordMs(commitToRead, row.ready - at);
    recordMs(readToMarked, row.marked - row.ready);
    recordMs(commitToMarked, row.marked - at);
  }
  return {
    source: file,
    matched: committed.size,
    unmatched: rows.length - committed.size,
    readBeforeLogged,
    commitToRead: summarize(commitToRead),
    readToMarked: summarize(readToMarked, 'us'),
    commitToMarked: summarize(commitToMarked),
  };
}
