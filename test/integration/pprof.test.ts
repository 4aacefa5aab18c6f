import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/kube/connect.js';
import { KubeRest, statusMessage } from '../../src/kube/rest.js';
import { vitictl } from '../helpers/binary.js';
import { kubectl, lab } from '../helpers/lab.js';

/**
 * pprof against the lab operator: capture profiles with vitictl, then run `go tool pprof -top` on
 * the same files in the test and require the same rows, digit for digit.
 */

const GO = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
const LABEL = 'vitictl.io/pprof-test';

interface Row {
  flat: string;
  flatPct: string;
  sumPct: string;
  cum: string;
  cumPct: string;
  name: string;
}

interface Table {
  /** the header lines from "Showing nodes accounting for" on */
  summary: string[];
  rows: Row[];
  /** all of it (both tools run with TZ=UTC, so even the Time: line must match) */
  text: string;
}

const ROW = /^\s*(\S+) +(\S+%) +(\S+%) +(\S+) +(\S+%) {2}(.+)$/;

function parseTop(text: string): Table {
  const lines = text.split('\n');
  const header = lines.findIndex((line) => /^ +flat +flat% +sum% +cum +cum%$/.test(line));
  if (header < 0) throw new Error(`no -top header in:\n${text}`);
  const first = lines.findIndex((line) => line.startsWith('Showing nodes accounting for'));
  const rows = lines
    .slice(header + 1)
    .filter((line) => line !== '')
    .map((line) => {
      const m = ROW.exec(line);
      if (!m) throw new Error(`not a -top row: ${JSON.stringify(line)}`);
      return { flat: m[1]!, flatPct: m[2]!, sumPct: m[3]!, cum: m[4]!, cumPct: m[5]!, name: m[6]! };
    });
  return { summary: lines.slice(first, header), rows, text };
}

async function goTop(file: string, flags: string[]): Promise<Table> {
  const result = await execa(GO, ['tool', 'pprof', '-top', ...flags, file], {
    reject: false,
    env: { TZ: 'UTC' },
    stripFinalNewline: false,
  });
  if (result.exitCode !== 0) throw new Error(`go tool pprof failed: ${result.stderr}`);
  return parseTop(result.stdout);
}

async function ourTop(file: string, flags: string[]): Promise<Table> {
  const result = await vitictl(['pprof', 'top', file, ...flags], { env: { NO_COLOR: '1', TZ: 'UTC' } });
  if (result.exitCode !== 0) throw new Error(`vitictl pprof top failed: ${String(result.stderr)}`);
  return parseTop(String(result.stdout));
}

function machine(name: string, prefix: string) {
  return {
    apiVersion: 'vitistack.io/v1alpha1',
    kind: 'Machine',
    metadata: { name, namespace: 'default', labels: { [LABEL]: prefix } },
    spec: { provider: 'kubevirt', memory: 1024 },
  };
}

/** Creates Machines, 16 requests in flight, until `done()`: the operator reconciles throughout. */
async function createUntil(done: () => boolean): Promise<number> {
  const rest = await KubeRest.create(await connect({ kubeconfig: lab().kubeconfig }), { connections: 16 });
  let created = 0;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (!done() && next < 3000) {
          const name = `pprof-${next++}`;
          const answer = await rest.request(
            'POST',
            '/apis/vitistack.io/v1alpha1/namespaces/default/machines',
            {
              body: machine(name, 'pprof'),
            },
          );
          if (answer.status !== 201) throw new Error(`create ${name}: ${statusMessage(answer)}`);
          created++;
        }
      }),
    );
  } finally {
    await rest.close();
  }
  return created;
}

async function capture(dir: string, profile: string, extra: string[] = []) {
  const result = await vitictl([
    'pprof',
    'capture',
    `http://127.0.0.1:${lab().ports.pprof}`,
    '--profile',
    profile,
    '--out',
    dir,
    '-o',
    'json',
    ...extra,
  ]);
  if (result.exitCode !== 0) throw new Error(`capture ${profile} failed: ${String(result.stderr)}`);
  const [saved] = JSON.parse(String(result.stdout)) as Array<{ file: string; samples?: number }>;
  return saved!;
}

/**
 * A known difference: for generic functions go tool pprof prints the shape type without parameter
 * lists ("go.shape.interface { UnmarshalJSON error }"), where the profile (and vitictl) has
 * "UnmarshalJSON([]uint8) error". Numbers, order and every other name must be equal to the digit.
 */
function normaliseShapeText(text: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const at = text.indexOf('go.shape.', from);
    if (at < 0) return out + text.slice(from);
    // the shape runs to the bracket that closes the type-argument list it stands in
    let end = at;
    for (let depth = 0; end < text.length && text[end] !== '\n'; end++) {
      const c = text[end]!;
      if ('[({'.includes(c)) depth++;
      else if ('])}'.includes(c) && depth-- === 0) break;
    }
    out += text.slice(from, at) + withoutParenthesised(text.slice(at, end));
    from = end;
  }
}

/** "interface { UnmarshalJSON([]uint8) error }" → "interface { UnmarshalJSON error }" (nested groups too) */
function withoutParenthesised(shape: string): string {
  let out = '';
  let depth = 0;
  for (const c of shape) {
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

function normaliseShapes<T extends { name: string }>(rows: T[]): T[] {
  return rows.map((row) => ({ ...row, name: normaliseShapeText(row.name) }));
}

describe('the known pprof difference, and only it, is normalised', () => {
  it("equates go's shape names with the stored ones, nested brackets included (as a CI run printed them)", () => {
    expect(
      normaliseShapeText('reflect.TypeAssert[go.shape.interface { UnmarshalJSON([]uint8) error }]'),
    ).toBe('reflect.TypeAssert[go.shape.interface { UnmarshalJSON error }]');
    expect(normaliseShapeText('x.F[go.shape.int] g(1) h[2]')).toBe('x.F[go.shape.int] g(1) h[2]');
    expect(normaliseShapeText('a 10ms x.F[go.shape.struct { f func(int) }]\nb 5ms y(z)')).toBe(
      'a 10ms x.F[go.shape.struct { f func }]\nb 5ms y(z)',
    );
  });
});

describe('vitictl pprof against the lab operator', () => {
  let dir: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vitictl-pprof-it-'));
    files.heapBefore = (await capture(dir, 'heap')).file;
    // CPU for 3 s while the operator reconciles new Machines, created through the whole window (16 in
    // flight: kubectl's one-at-a-time creates were too sparse on a busy machine to show in 100 Hz samples)
    let captured = false;
    const cpu = capture(dir, 'cpu', ['--seconds', '3']).finally(() => (captured = true));
    expect(await createUntil(() => captured)).toBeGreaterThan(0);
    files.cpu = (await cpu).file;
    const deleted = await kubectl(['delete', 'machines', '-n', 'default', '-l', LABEL, '--wait=false']);
    expect(deleted.exitCode, String(deleted.stderr)).toBe(0);
    files.heap = (await capture(dir, 'heap')).file;
    files.allocs = (await capture(dir, 'allocs')).file;
    files.goroutine = (await capture(dir, 'goroutine')).file;
  });

  afterAll(async () => {
    await kubectl(['delete', 'machines', '-n', 'default', '-l', LABEL, '--wait=false']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves profiles named <target>-<profile>-<timestamp>.pb.gz that go tool pprof opens', async () => {
    const port = lab().ports.pprof;
    for (const [key, file] of Object.entries(files)) {
      expect(file, key).toMatch(
        new RegExp(`/127\\.0\\.0\\.1-${port}-\\w+-\\d{8}T\\d{6}\\.\\d{3}Z\\.pb\\.gz$`),
      );
      const raw = await execa(GO, ['tool', 'pprof', '-raw', file], { reject: false });
      expect(raw.exitCode, `${key}: ${raw.stderr}`).toBe(0);
    }
    const cpu = await goTop(files.cpu!, []);
    expect(cpu.rows.length, 'the CPU profile under load has samples').toBeGreaterThan(5);
  });

  // [name, vitictl flags, go tool pprof flags, profile]
  const cases: Array<[string, string[], string[], string]> = [
    ['cpu, every node above the cutoff', ['--nodes', '0'], [], 'cpu'],
    ['cpu, --cum', ['--nodes', '0', '--cum'], ['-cum'], 'cpu'],
    ['cpu, top 15', ['--nodes', '15'], ['-nodecount=15'], 'cpu'],
    ['cpu, top 20 by cum', ['--cum'], ['-cum', '-nodecount=20'], 'cpu'],
    [
      'cpu, --sample-index samples',
      ['--nodes', '0', '--sample-index', 'samples'],
      ['-sample_index=samples'],
      'cpu',
    ],
    [
      'cpu, --focus (?i)reconcile',
      ['--nodes', '0', '--focus', '(?i)reconcile'],
      ['-focus=(?i)reconcile'],
      'cpu',
    ],
    ['heap, inuse_space (default)', ['--nodes', '0'], [], 'heap'],
    [
      'heap, alloc_space',
      ['--nodes', '0', '--sample-index', 'alloc_space'],
      ['-sample_index=alloc_space'],
      'heap',
    ],
    [
      'heap, alloc_objects --cum',
      ['--nodes', '0', '--sample-index', 'alloc_objects', '--cum'],
      ['-sample_index=alloc_objects', '-cum'],
      'heap',
    ],
    ['allocs (default alloc_space)', ['--nodes', '0'], [], 'allocs'],
    ['goroutine', ['--nodes', '0'], [], 'goroutine'],
  ];

  it.each(cases)('top equals go tool pprof -top: %s', async (_name, ours, theirs, key) => {
    const file = files[key]!;
    const [mine, go] = await Promise.all([ourTop(file, ours), goTop(file, theirs)]);
    expect(go.rows.length).toBeGreaterThan(0);
    expect(mine.summary).toEqual(go.summary);
    expect(normaliseShapes(mine.rows)).toEqual(normaliseShapes(go.rows));
    expect(normaliseShapeText(mine.text)).toBe(normaliseShapeText(go.text));
  });

  it('top --diff-base equals go tool pprof -top -diff_base (alloc_space and inuse_space)', async () => {
    for (const [ours, theirs] of [
      [['--sample-index', 'alloc_space'], ['-sample_index=alloc_space']],
      [[], []],
    ] as const) {
      const [mine, go] = await Promise.all([
        ourTop(files.heap!, ['--nodes', '0', '--diff-base', files.heapBefore!, ...ours]),
        goTop(files.heap!, [`-diff_base=${files.heapBefore!}`, ...theirs]),
      ]);
      expect(go.rows.length).toBeGreaterThan(0);
      expect(mine.summary).toEqual(go.summary);
      expect(mine.rows).toEqual(go.rows);
      expect(mine.text).toBe(go.text);
    }
  });

  it('summarises the live goroutine?debug=2 dump: states add up, the reconcile workers are found', async () => {
    const url = `http://127.0.0.1:${lab().ports.pprof}`;
    // one dump, read by us and counted here: a live goroutine count changes between two fetches
    const raw = await fetch(`${url}/debug/pprof/goroutine?debug=2`).then((response) => response.text());
    const dumpFile = join(dir, 'live-goroutine-dump.txt');
    await writeFile(dumpFile, raw);
    const result = await vitictl(['pprof', 'goroutines', dumpFile, '-o', 'json']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const { summary } = JSON.parse(String(result.stdout)) as {
      summary: {
        total: number;
        byState: Array<{ state: string; count: number }>;
        workers: { total: number; idle: number; busy: number };
        stacks: Array<{ count: number }>;
      };
    };
    const headers = raw.split('\n').filter((line) => /^goroutine \d+ .*\]:$/.test(line)).length;
    expect(summary.total).toBe(headers);
    expect(summary.byState.reduce((n, s) => n + s.count, 0)).toBe(summary.total);
    expect(summary.byState.map((s) => s.state)).toContain('running');
    // 4 controllers with workers from the performance ConfigMap, idle once the Machines are gone
    expect(summary.workers.total).toBeGreaterThanOrEqual(4);
    expect(summary.workers.idle + summary.workers.busy).toBe(summary.workers.total);
    expect(summary.stacks[0]!.count).toBeGreaterThanOrEqual(summary.stacks.at(-1)!.count);

    const table = await vitictl(['pprof', 'goroutines', url, '--top', '3']);
    expect(String(table.stdout)).toMatch(/^\d+ goroutines in http:\/\/127\.0\.0\.1:\d+\//);
    expect(String(table.stdout)).toMatch(/reconcile workers: \d+ · idle \d+ · busy \d+/);
  });

  it('saves the goroutine text dump and summarises the file', async () => {
    const saved = await capture(dir, 'goroutine', ['--debug', '2']);
    expect(saved.file).toMatch(/-goroutine-\d{8}T\d{6}\.\d{3}Z\.txt$/);
    const result = await vitictl(['pprof', 'goroutines', saved.file, '-o', 'json']);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(
      (JSON.parse(String(result.stdout)) as { summary: { total: number } }).summary.total,
    ).toBeGreaterThan(10);
  });

  it('refuses a second CPU profile of the same process, and says so', async () => {
    const url = `http://127.0.0.1:${lab().ports.pprof}`;
    const args = ['pprof', 'capture', url, '--profile', 'cpu', '--seconds', '2', '--out', dir];
    const [a, b] = await Promise.all([
      vitictl(args),
      new Promise((r) => setTimeout(r, 300)).then(() => vitictl(args)),
    ]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(1);
    expect(String(b.stderr)).toMatch(/error: .*a CPU profile of this process is already running/);
    expect(String(b.stderr)).toMatch(/hint: Go allows one CPU profile per process at a time/);
  });

  it('says the metrics port serves no pprof', async () => {
    const result = await vitictl([
      'pprof',
      'capture',
      `http://127.0.0.1:${lab().ports.metrics}`,
      '--profile',
      'heap',
      '--out',
      dir,
    ]);
    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toMatch(/404: the target serves no pprof/);
    expect(String(result.stderr)).toMatch(/hint: set PprofBindAddress/);
  });
});
