import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/report/run-result.js';
import { repoRoot } from '../helpers/files.js';
import { lab } from '../helpers/lab.js';

/**
 * A viti-like launcher with the dispatch rules of VitiStack's CLI: its own -z/--az/--availabilityzone
 * flag becomes VITI_AVAILABILITYZONE, VITI_CONFIG names ~/.vitistack/ctl.config.yaml, built-ins win,
 * and otherwise the longest run of leading words naming an executable viti-WORD-WORD… on PATH runs
 * with the remaining arguments.
 */
const LAUNCHER = `#!/usr/bin/env bash
set -euo pipefail
zone="\${VITI_AVAILABILITYZONE:-}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -z|--az|--availabilityzone) zone="$2"; shift 2 ;;
    --az=*|--availabilityzone=*) zone="\${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
export VITI_CONFIG="$HOME/.vitistack/ctl.config.yaml"
if [ -n "$zone" ]; then export VITI_AVAILABILITYZONE="$zone"; fi
case "\${args[0]:-}" in version) echo "viti (test launcher)"; exit 0 ;; esac
words=()
for a in "\${args[@]}"; do case "$a" in -*) break ;; *) words+=("$a") ;; esac; done
for ((n=\${#words[@]}; n>0; n--)); do
  name="viti$(printf -- '-%s' "\${words[@]:0:n}")"
  if command -v "$name" >/dev/null 2>&1; then exec "$name" "\${args[@]:n}"; fi
done
echo "viti: unknown command \${args[0]:-}" >&2
exit 1
`;

describe('viti perf: vitictl as a plugin of viti, on availability zones', () => {
  let home: string;
  let binDir: string;

  const viti = (args: string[], env: Record<string, string> = {}) =>
    execa(join(binDir, 'viti'), args, {
      reject: false,
      extendEnv: false,
      env: { PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: home, NO_COLOR: '1', ...env },
    });
  const zones = (entries: Array<{ name: string; kubeconfig: string; context?: string }>) =>
    writeFile(
      join(home, '.vitistack', 'ctl.config.yaml'),
      `availabilityzones:\n${entries.map((z) => `  - {name: ${z.name}, kubeconfig: ${z.kubeconfig}${z.context ? `, context: ${z.context}` : ''}}`).join('\n')}\n`,
    );

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'vitictl-it-viti-'));
    binDir = join(home, 'bin');
    await mkdir(binDir, { recursive: true });
    await mkdir(join(home, '.vitistack'), { recursive: true });
    await writeFile(join(binDir, 'viti'), LAUNCHER);
    await chmod(join(binDir, 'viti'), 0o755);
    await symlink(join(repoRoot, 'bin', 'viti-perf.js'), join(binDir, 'viti-perf'));
    // a longer plugin name wins over viti-perf for its words only; a built-in wins over any plugin
    await writeFile(join(binDir, 'viti-perf-hello'), '#!/bin/sh\necho "hello from viti-perf-hello $*"\n');
    await writeFile(join(binDir, 'viti-version'), '#!/bin/sh\necho "a plugin must not shadow a built-in"\n');
    await chmod(join(binDir, 'viti-perf-hello'), 0o755);
    await chmod(join(binDir, 'viti-version'), 0o755);
    // a second zone: the same lab under another context name, in its own kubeconfig
    const copy = readFileSync(lab().kubeconfig, 'utf8').replaceAll('vitictl-lab', 'oslo-lab');
    await writeFile(join(home, 'oslo.kubeconfig'), copy);
  });

  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('viti dispatches by the longest plugin name, built-ins first', async () => {
    expect(String((await viti(['version'])).stdout)).toBe('viti (test launcher)');
    expect(String((await viti(['perf', 'hello', 'there'])).stdout)).toBe('hello from viti-perf-hello there');
    const help = await viti(['perf', '--help']);
    expect(help.exitCode).toBe(0);
    expect(String(help.stdout)).toMatch(/^Usage: vitictl perf/m);
  });

  it("viti -z ZONE perf apply runs on the zone's kubeconfig and context; --context still wins", async () => {
    await zones([
      { name: 'bergen', kubeconfig: lab().kubeconfig, context: 'vitictl-lab' },
      { name: 'broken', kubeconfig: lab().kubeconfig, context: 'nope' },
    ]);
    const apply = (zoneFlags: string[], extra: string[] = []) => {
      const out = join(home, `apply-${zoneFlags.join('')}.json`);
      return viti([
        ...zoneFlags,
        'perf',
        'apply',
        'machines',
        '--count',
        '5',
        '--no-wait',
        '--run-id',
        `it-viti-${zoneFlags.length}`,
        '--out',
        out,
        '-q',
        ...extra,
      ]).then((result) => ({ result, out }));
    };
    const onZone = await apply(['-z', 'bergen']);
    expect(onZone.result.exitCode, String(onZone.result.stderr)).toBe(0);
    const run = JSON.parse(readFileSync(onZone.out, 'utf8')) as RunResult;
    expect(run.target.server).toBe(`https://127.0.0.1:${lab().ports.apiserver}`);
    expect(run.cleanup!.leftBehind).toEqual([]);

    const broken = await apply(['--az', 'broken']);
    expect(broken.result.exitCode).toBe(2);
    expect(String(broken.result.stderr)).toMatch(/nope/);
    const overridden = await apply(['--availabilityzone=broken'], ['--context', 'vitictl-lab']);
    expect(overridden.result.exitCode, String(overridden.result.stderr)).toBe(0);

    const unknown = await viti(['-z', 'trondheim', 'perf', 'run', 'smoke']);
    expect(unknown.exitCode).toBe(2);
    expect(String(unknown.stderr)).toMatch(
      /^error: no availability zone "trondheim" in .*ctl\.config\.yaml\nhint: zones there: bergen, broken$/m,
    );
  });

  it('viti perf run --all-zones: one report per zone and a side-by-side comparison', async () => {
    await zones([
      { name: 'bergen', kubeconfig: lab().kubeconfig },
      { name: 'oslo', kubeconfig: join(home, 'oslo.kubeconfig'), context: 'oslo-lab' },
    ]);
    // gates on correctness only: the runs prove the dispatch and the zones, not this busy machine's speed
    const profile = join(home, 'zones-profile.yaml');
    await writeFile(
      profile,
      `apiVersion: vitictl.io/v1alpha1
kind: Profile
metadata: {name: zones}
spec:
  type: smoke
  scenario: machines
  count: 30
  load: {qps: 20}
  timeout: 2m
  observe: {metrics: none}
  gates:
    - ready.failedRate < 1%
    - create.errorRate < 1%
`,
    );
    const outDir = join(home, 'zones');
    const result = await viti(['perf', 'run', profile, '--all-zones', '--out-dir', outDir, '-q']);
    expect(result.exitCode, String(result.stderr) + String(result.stdout)).toBe(0);
    for (const zone of ['bergen', 'oslo']) {
      expect(existsSync(join(outDir, zone, 'run.json')), zone).toBe(true);
      const run = JSON.parse(readFileSync(join(outDir, zone, 'run.json'), 'utf8')) as RunResult;
      expect(run.profile).toMatchObject({ name: 'zones' });
      expect(run.apply!.counts.ready).toBe(30);
    }
    const table = String(result.stdout).slice(String(result.stdout).indexOf('availability zones'));
    expect(table).toMatch(
      /^ZONE\s+RESULT\s+OBJECTS\s+READY\s+FAILED\s+CREATE p99\s+READY p50\s+READY p99\s+ACHIEVED\s+GATES$/m,
    );
    expect(table).toMatch(/^bergen\s+passed\s+30\s+30\s+0\s+\S+\s+\S+\s+\S+\s+[\d.]+\/s\s+2\/2$/m);
    expect(table).toMatch(/^oslo\s+passed\s+30\s+30\s+0\s+\S+\s+\S+\s+\S+\s+[\d.]+\/s\s+2\/2$/m);

    // the zone viti passes in the environment, as viti does for -z
    const single = await viti(
      ['perf', 'run', profile, '--count', '20', '--out-dir', join(home, 'env-zone'), '-q'],
      {
        VITI_AVAILABILITYZONE: 'oslo',
      },
    );
    expect(single.exitCode, String(single.stderr)).toBe(0);
    const run = JSON.parse(readFileSync(join(home, 'env-zone', 'run.json'), 'utf8')) as RunResult;
    expect(run.target.server).toBe(`https://127.0.0.1:${lab().ports.apiserver}`);
  });
});
