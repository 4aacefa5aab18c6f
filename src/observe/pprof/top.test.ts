import { describe, expect, it } from 'vitest';
import { buildProfile, cpuProfile } from '../../../test/helpers/pprof-build.js';
import { renderTop } from '../../render/pprof-views.js';
import { decodeProfile } from './decode.js';
import { sampleIndexByName, topReport } from './top.js';

// The expected tables are what `go tool pprof -top` (Go 1.26) printed for these same files; the
// integration test repeats the comparison live on profiles captured from the lab operator.

const mixed = decodeProfile(
  cpuProfile([
    { stack: ['runtime.memmove', 'main.work', 'main.main'], count: 30 },
    // recursion: fib appears three times in one stack, its cum counts the sample once
    { stack: ['main.fib', 'main.fib', 'main.fib', 'main.work', 'main.main'], count: 50 },
    // inlining: strings.Index inlined into main.parse in one location
    { stack: [['strings.Index', 'main.parse'], 'main.handle', 'main.main'], count: 12 },
    { stack: ['strings.Index', 'main.scan', 'main.main'], count: 3 },
    { stack: ['main.handle', 'main.main'], count: 4 },
    { stack: [['bytes.Equal', 'main.parse'], 'main.handle', 'main.main'], count: 1 },
  ]),
);

const HEAP: Array<[string, string]> = [
  ['alloc_objects', 'count'],
  ['alloc_space', 'bytes'],
  ['inuse_objects', 'count'],
  ['inuse_space', 'bytes'],
];
const heapAfter = decodeProfile(
  buildProfile({
    sampleTypes: HEAP,
    samples: [
      { stack: ['encoding/json.Unmarshal', 'main.decode', 'main.main'], values: [100, 524299, 10, 52429] },
      { stack: ['bytes.growSlice', 'main.read', 'main.main'], values: [3, 1153, 1, 1024] },
      { stack: ['main.cache', 'main.main'], values: [7, 3 * 1048576, 7, 3 * 1048576] },
    ],
  }),
);
const heapBefore = decodeProfile(
  buildProfile({
    sampleTypes: HEAP,
    samples: [
      { stack: ['encoding/json.Unmarshal', 'main.decode', 'main.main'], values: [40, 204800, 2, 2048] },
      { stack: ['main.cache', 'main.main'], values: [9, 4 * 1048576, 9, 4 * 1048576] },
      { stack: ['main.old', 'main.main'], values: [1, 4096, 1, 4096] },
    ],
  }),
);

const manySmall = decodeProfile(
  cpuProfile([
    { stack: ['main.hot', 'main.main'], count: 1000 },
    ...Array.from({ length: 12 }, (_, i) => ({ stack: [`main.small${i}`, 'main.main'], count: 1 + i })),
  ]),
);

const text = (lines: string[]) => `${lines.join('\n')}\n`;

describe('pprof top (flat/cum as google/pprof)', () => {
  it('prints go tool pprof -top for recursion and inlining', () => {
    expect(renderTop(topReport(mixed, { nodeCount: 0 }))).toBe(
      text([
        'File: operator',
        'Type: cpu',
        'Duration: 3s, Total samples = 1000ms (33.33%)',
        'Showing nodes accounting for 1000ms, 100% of 1000ms total',
        '      flat  flat%   sum%        cum   cum%',
        '     500ms 50.00% 50.00%      500ms 50.00%  main.fib',
        '     300ms 30.00% 80.00%      300ms 30.00%  runtime.memmove',
        '     150ms 15.00% 95.00%      150ms 15.00%  strings.Index (partial-inline)',
        '      40ms  4.00% 99.00%      170ms 17.00%  main.handle',
        '      10ms  1.00%   100%       10ms  1.00%  bytes.Equal (inline)',
        '         0     0%   100%     1000ms   100%  main.main',
        '         0     0%   100%      130ms 13.00%  main.parse',
        '         0     0%   100%       30ms  3.00%  main.scan',
        '         0     0%   100%      800ms 80.00%  main.work',
      ]),
    );
  });

  it('counts a recursive function once per sample in cum', () => {
    const fib = topReport(mixed, { nodeCount: 0 }).rows.find((row) => row.name === 'main.fib');
    expect(fib).toMatchObject({ flat: 500_000_000, cum: 500_000_000 });
  });

  it('sorts by cum with --cum (go tool pprof -top -cum)', () => {
    const rows = topReport(mixed, { nodeCount: 0, cum: true }).rows;
    expect(rows.map((row) => row.name)).toEqual([
      'main.main',
      'main.work',
      'main.fib',
      'runtime.memmove',
      'main.handle',
      'strings.Index',
      'main.parse',
      'main.scan',
      'bytes.Equal',
    ]);
    expect(rows.map((row) => row.sumPercent.toFixed(2))).toEqual([
      '0.00',
      '0.00',
      '50.00',
      '80.00',
      '84.00',
      '99.00',
      '99.00',
      '99.00',
      '100.00',
    ]);
  });

  it('focus keeps samples with a matching frame (inlined ones too); % stay of the whole profile', () => {
    expect(renderTop(topReport(mixed, { nodeCount: 0, focus: 'parse' }))).toBe(
      text([
        'File: operator',
        'Type: cpu',
        'Duration: 3s, Total samples = 1000ms (33.33%)',
        'Active filters:',
        '   focus=parse',
        'Showing nodes accounting for 130ms, 13.00% of 1000ms total',
        '      flat  flat%   sum%        cum   cum%',
        '     120ms 12.00% 12.00%      120ms 12.00%  strings.Index (inline)',
        '      10ms  1.00% 13.00%       10ms  1.00%  bytes.Equal (inline)',
        '         0     0% 13.00%      130ms 13.00%  main.handle',
        '         0     0% 13.00%      130ms 13.00%  main.main',
        '         0     0% 13.00%      130ms 13.00%  main.parse',
      ]),
    );
  });

  it('focus matches file names and takes Go flag groups like (?i)', () => {
    expect(topReport(mixed, { nodeCount: 0, focus: '(?i)^SRC/STRINGS' }).shownTotal).toBe(150_000_000);
  });

  it('subtracts a diff base and takes percentages of the base total', () => {
    expect(renderTop(topReport(heapAfter, { nodeCount: 0, base: heapBefore }))).toBe(
      text([
        'File: operator',
        'Type: inuse_space',
        'Showing nodes accounting for -974.80kB, 23.76% of 4102kB total',
        'Dropped 3 nodes (cum <= 20.51kB)',
        '      flat  flat%   sum%        cum   cum%',
        '   -1024kB 24.96% 24.96%    -1024kB 24.96%  main.cache',
        '   49.20kB  1.20% 23.76%    49.20kB  1.20%  encoding/json.Unmarshal',
        '         0     0% 23.76%    49.20kB  1.20%  main.decode',
        '         0     0% 23.76%  -977.80kB 23.84%  main.main',
      ]),
    );
  });

  it('drops nodes under 0.5% and shows the top N like -nodecount', () => {
    expect(renderTop(topReport(manySmall, { nodeCount: 3 }))).toBe(
      text([
        'File: operator',
        'Type: cpu',
        'Duration: 3s, Total samples = 10780ms (359.33%)',
        'Showing nodes accounting for 10230ms, 94.90% of 10780ms total',
        'Dropped 5 nodes (cum <= 53.90ms)',
        'Showing top 3 nodes out of 9',
        '      flat  flat%   sum%        cum   cum%',
        '   10000ms 92.76% 92.76%    10000ms 92.76%  main.hot',
        '     120ms  1.11% 93.88%      120ms  1.11%  main.small11',
        '     110ms  1.02% 94.90%      110ms  1.02%  main.small10',
      ]),
    );
    const all = topReport(manySmall, { nodeCount: 0 });
    expect(all.rows).toHaveLength(9);
    expect(renderTop(all)).toContain('     0.12s  1.11% 93.88%      0.12s  1.11%  main.small11');
  });

  it('scales bytes like pprof (one unit per report)', () => {
    const report = topReport(heapAfter, { nodeCount: 0, sampleIndex: 'alloc_space' });
    expect(report.outputUnit).toBe('kB');
    expect(renderTop(report)).toContain(
      '  512.01kB 14.28%   100%   512.01kB 14.28%  encoding/json.Unmarshal',
    );
  });
});

describe('sample index', () => {
  it('defaults to default_sample_type, else the last type', () => {
    expect(sampleIndexByName(heapAfter, undefined)).toBe(3);
    const allocs = decodeProfile(
      buildProfile({ sampleTypes: HEAP, defaultSampleType: 'alloc_space', samples: [] }),
    );
    expect(sampleIndexByName(allocs, undefined)).toBe(1);
  });

  it('takes names, the legacy inuse_ prefix and numbers', () => {
    expect(sampleIndexByName(heapAfter, 'alloc_objects')).toBe(0);
    expect(sampleIndexByName(heapAfter, '2')).toBe(2);
    const legacy = decodeProfile(
      buildProfile({
        sampleTypes: [
          ['objects', 'count'],
          ['space', 'bytes'],
        ],
        samples: [],
      }),
    );
    expect(sampleIndexByName(legacy, 'inuse_space')).toBe(1);
  });

  it('names the choices when the index is unknown', () => {
    expect(() => sampleIndexByName(heapAfter, 'cpu')).toThrow(/not in this profile/);
    expect(() => sampleIndexByName(heapAfter, '9')).toThrow(/outside the range \[0\.\.3\]/);
  });

  it('refuses a diff base with no sample type in common', () => {
    expect(() => topReport(mixed, { base: heapBefore })).toThrow(/no sample type in common/);
  });
});
