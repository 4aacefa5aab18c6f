import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../../../test/helpers/files.js';
import { cpuProfile } from '../../../test/helpers/pprof-build.js';
import { resolveTargets, type Target } from '../target.js';
import { captureProfile, profilePath, targetSlug } from './capture.js';

const PROFILE = cpuProfile([{ stack: ['main.work', 'main.main'], count: 3 }]);

/** A pprof server on port 0 that misbehaves on purpose, like Go's net/http/pprof does when asked to. */
function pprofServer(): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    const reply = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'x-go-pprof': '1' });
      response.end(body);
    };
    switch (url.pathname) {
      case '/debug/pprof/profile':
        if (url.searchParams.get('seconds') === '7')
          return reply(500, 'Could not enable CPU profiling: cpu profiling already in use\n');
        return reply(200, PROFILE, 'application/octet-stream');
      case '/debug/pprof/heap':
        return reply(200, '<html>login</html>', 'text/html');
      case '/debug/pprof/goroutine':
        return reply(200, 'goroutine 1 [running]:\nmain.main()\n\tmain.go:1 +0x1\n');
      case '/debug/pprof/allocs':
        return reply(400, "profile duration exceeds server's WriteTimeout\n");
      default:
        return reply(404, '404 page not found\n');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('pprof capture', () => {
  const temp = useTempDir();
  let server: Server;
  let target: Target;
  beforeAll(async () => {
    server = await pprofServer();
    const { port } = server.address() as AddressInfo;
    [target] = (await resolveTargets(`http://127.0.0.1:${port}`, { namespace: 'default' })) as [Target];
  });
  afterAll(async () => {
    await target.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const now = new Date('2026-01-02T03:04:05.678Z');

  it('saves the profile byte for byte as <target>-<profile>-<timestamp>.pb.gz', async () => {
    await temp.write('.keep', '');
    const result = await captureProfile(target, { profile: 'cpu', seconds: 2, outDir: temp.dir(), now });
    const { port } = server.address() as AddressInfo;
    expect(result.file).toBe(temp.path(`127.0.0.1-${port}-cpu-20260102T030405.678Z.pb.gz`));
    expect(readFileSync(result.file).equals(PROFILE)).toBe(true);
    expect(result).toMatchObject({
      samples: 1,
      sampleTypes: ['samples/count', 'cpu/nanoseconds'],
      notes: [],
    });
    expect(readdirSync(temp.dir()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('saves the goroutine text dump with --debug 2', async () => {
    await temp.write('.keep', '');
    const result = await captureProfile(target, { profile: 'goroutine', debug: 2, outDir: temp.dir(), now });
    expect(result.file.endsWith('-goroutine-20260102T030405.678Z.txt')).toBe(true);
    expect(readFileSync(result.file, 'utf8')).toContain('goroutine 1 [running]');
  });

  it("says pprof is off on 404, names the one-CPU-profile rule on Go's 500, and refuses non-profiles", async () => {
    await temp.write('.keep', '');
    const outDir = temp.dir();
    await expect(captureProfile(target, { profile: 'mutex', outDir })).rejects.toMatchObject({
      message: expect.stringMatching(/404: the target serves no pprof/),
      hint: expect.stringMatching(/PprofBindAddress .*monitoring\.enableProfiling/),
    });
    await expect(captureProfile(target, { profile: 'cpu', seconds: 7, outDir })).rejects.toMatchObject({
      message: expect.stringMatching(/a CPU profile of this process is already running/),
      hint: expect.stringMatching(/one CPU profile per process at a time/),
    });
    await expect(captureProfile(target, { profile: 'heap', outDir })).rejects.toThrow(/not a profile\.proto/);
    await expect(captureProfile(target, { profile: 'allocs', seconds: 5, outDir })).rejects.toMatchObject({
      kind: 'usage',
      hint: 'use a smaller --seconds',
    });
    expect(readdirSync(outDir)).toEqual(['.keep']);
  });

  it('says the target is unreachable when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const [gone] = await resolveTargets(`http://127.0.0.1:${port}/debug/pprof/`, { namespace: 'default' });
    await expect(captureProfile(gone!, { profile: 'heap', outDir: '.' })).rejects.toMatchObject({
      message: expect.stringMatching(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/debug\/pprof\/heap: refused/),
      hint: expect.stringMatching(/is pprof enabled/),
    });
    await gone!.close();
  });

  it('builds handler paths and file names', () => {
    expect(profilePath({ profile: 'cpu' })).toBe('profile?seconds=30');
    expect(profilePath({ profile: 'heap', seconds: 10 })).toBe('heap?seconds=10');
    expect(profilePath({ profile: 'goroutine', debug: 2 })).toBe('goroutine?debug=2');
    expect(() => profilePath({ profile: 'heap', debug: 2 })).toThrow(/--debug 2 is for --profile goroutine/);
    expect(targetSlug('pod/vitistack-system/operator-0:6060')).toBe('vitistack-system-operator-0');
    expect(targetSlug('https://op.example:8443/debug/pprof/')).toBe('op.example-8443');
  });
});
