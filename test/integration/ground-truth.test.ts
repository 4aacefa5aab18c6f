import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditLogPath } from '../../src/lab/audit.js';
import type { TimelineRow } from '../../src/load/apply-engine.js';
import type { RunResult } from '../../src/report/run-result.js';
import { vitictl } from '../helpers/binary.js';
import { useTempDir } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

/** Each object's last step split at the lab API server's audit log: real status writes, real watch. */
describe('ground truth at the API server (audit log)', () => {
  const temp = useTempDir();

  it('apply --audit-log matches every ready object to its status write and splits the step in three', async () => {
    await temp.write('x', '');
    const out = join(temp.dir(), 'run.json');
    const timeline = join(temp.dir(), 'timeline.ndjson');
    const result = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '200',
        '--qps',
        '100',
        '--run-id',
        'it-ground-truth',
        '--audit-log',
        auditLogPath(lab().dir),
        '--timeline',
        timeline,
        '--no-apiserver-metrics',
        '--out',
        out,
      ],
      { env: { NO_COLOR: '1', KUBECONFIG: lab().kubeconfig } },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const apply = (JSON.parse(readFileSync(out, 'utf8')) as RunResult).apply!;
    const truth = apply.groundTruth!;
    expect(apply.counts.ready).toBe(200);
    expect(truth).toMatchObject({ matched: 200, unmatched: 0 });
    expect(truth.commitToMarked.count).toBe(200);
    // the split adds up: commit → read and read → marked make commit → marked (medians, within 1 ms)
    expect(truth.commitToMarked.p50).toBeGreaterThan(0);
    expect(truth.commitToMarked.p50).toBeLessThan(apply.latency.timeToReady.p50);
    // own part: objects made ready by a live event (one whose event came before its create's answer is
    // evaluated at the answer, and is not vitictl's processing time)
    expect(apply.latency.ownLag!.count).toBeLessThanOrEqual(200);
    expect(apply.latency.ownLag!.count).toBeGreaterThanOrEqual(200 - apply.watch.eventsBeforeAck);
    const rows = readFileSync(timeline, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineRow);
    expect(rows).toHaveLength(200);
    for (const row of rows) {
      expect(row.committed, row.name).toBeDefined();
      expect(row.committed!, row.name).toBeGreaterThan(row.sent!);
      // the server stamps a write complete after answering it: at most a little after the event is read
      expect(row.committed!, row.name).toBeLessThan(row.ready! + 100);
    }
    expect(truth.readBeforeLogged).toBe(rows.filter((row) => row.ready! < row.committed!).length);
    expect(String(result.stdout)).toMatch(
      /^vitictl's own part \(event read → marked ready\) p50 .* · audit commit → event read p50 .* \(200 matched\)$/m,
    );
  });

  it('a missing --audit-log file is bad input before anything is created', async () => {
    const result = await vitictl(
      [
        'apply',
        'machines',
        '--count',
        '5',
        '--run-id',
        'it-no-audit',
        '--audit-log',
        '/nonexistent/audit.log',
      ],
      { env: { NO_COLOR: '1', KUBECONFIG: lab().kubeconfig } },
    );
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr)).toMatch(/^error: --audit-log: no file "\/nonexistent\/audit.log"$/m);
  });
});
