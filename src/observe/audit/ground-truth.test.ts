import { appendFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/helpers/files.js';
import type { TimelineRow } from '../../load/apply-engine.js';
import { auditLogOffset, groundTruth, microTimeMs } from './ground-truth.js';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const stamp = (ms: number) => {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000);
  return `${new Date(whole).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
};
const statusWrite = (name: string, version: string, atMs: number, code = 200) =>
  JSON.stringify({
    kind: 'Event',
    level: 'RequestResponse',
    stage: 'ResponseComplete',
    verb: 'patch',
    objectRef: {
      resource: 'machines',
      namespace: 'ns',
      name,
      apiGroup: 'vitistack.io',
      subresource: 'status',
    },
    responseStatus: { code },
    responseObject: { metadata: { name, resourceVersion: version } },
    stageTimestamp: stamp(atMs),
  });
const readyRow = (name: string, version: string, readMs: number, markedMs: number): TimelineRow => ({
  set: 'machines',
  kind: 'Machine',
  namespace: 'ns',
  name,
  state: 'ready',
  ready: readMs,
  marked: markedMs,
  readyVersion: version,
});
const resourceOf = (kind: string) => (kind === 'Machine' ? 'machines' : undefined);

describe('the audit log as ground truth for the last step to ready', () => {
  const temp = useTempDir();

  it('reads RFC 3339 times to the microsecond', () => {
    expect(microTimeMs('2026-12-03T10:00:00.123456Z')).toBe(T0 + 123.456);
    expect(microTimeMs('2026-12-03T10:00:00Z')).toBe(T0);
    expect(microTimeMs('yesterday')).toBeUndefined();
  });

  it('matches the write by the resourceVersion of the ready event, not by time, and splits the step', async () => {
    const file = await temp.write('audit.log', `${statusWrite('m-0', '90', T0 - 5000)}\n`); // before the run: not read
    const offset = await auditLogOffset(file);
    await appendFile(
      file,
      [
        // two quick writes: the first (Provisioning) is not the one that made it ready
        statusWrite('m-0', '100', T0 + 10),
        statusWrite('m-0', '101', T0 + 10.5),
        statusWrite('m-1', '102', T0 + 20, 409), // refused: no write
        statusWrite('m-1', '103', T0 + 30),
        JSON.stringify({ stage: 'ResponseComplete', note: 'not an audit event of a status write' }),
        '{"stage":"ResponseComplete","subresource":"status", cut by rotation',
      ].join('\n'),
    );
    const rows = [
      readyRow('m-0', '101', T0 + 12.5, T0 + 12.6),
      readyRow('m-1', '103', T0 + 29.9, T0 + 30.2), // read before the server logged it complete
      readyRow('m-2', '104', T0 + 40, T0 + 40.1), // its write is not in the log
      { ...readyRow('m-3', '105', T0, T0), state: 'failed' },
    ];
    const { section, committed } = await groundTruth(file, offset, rows, resourceOf);
    expect(section).toMatchObject({ source: file, matched: 2, unmatched: 1, readBeforeLogged: 1 });
    expect(committed.get('Machine\u0000ns\u0000m-0')).toBe(T0 + 10.5);
    expect(section.commitToRead.count).toBe(2);
    expect(section.commitToRead.max).toBeCloseTo(2, 1);
    expect(section.commitToRead.min).toBe(0.001); // the early read, floored at the histogram's 1 µs
    expect(section.readToMarked.unit).toBe('us');
    expect(section.readToMarked.max).toBeGreaterThanOrEqual(299);
    expect(section.commitToMarked.max).toBeCloseTo(2.1, 1);
  });

  it('an object first evaluated at a later write of another kind (a finalizer) is timed by the last status write before it', async () => {
    const file = await temp.write(
      'later.log',
      [
        statusWrite('m-0', '273', T0),
        statusWrite('m-0', '274', T0 + 100),
        statusWrite('m-0', '280', T0 + 900),
      ].join('\n'),
    );
    const { committed } = await groundTruth(
      file,
      0,
      [readyRow('m-0', '275', T0 + 700, T0 + 701)],
      resourceOf,
    );
    expect(committed.get('Machine\u0000ns\u0000m-0')).toBe(T0 + 100);
  });

  it('reads a log rotated since the run began from its start', async () => {
    const file = await temp.write('rotated.log', `${statusWrite('m-0', '7', T0)}\n`);
    const { section } = await groundTruth(
      file,
      1_000_000,
      [readyRow('m-0', '7', T0 + 1, T0 + 1.1)],
      resourceOf,
    );
    expect(section.matched).toBe(1);
  });
});
