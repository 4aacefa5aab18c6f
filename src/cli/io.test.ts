import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { repoRoot, useTempDir } from '../../test/helpers/files.js';

/** The process's own signal handling needs a process of its own: a script on the current src/. */
describe('stop signals', () => {
  const temp = useTempDir();

  async function childScript(body: string) {
    return temp.write(
      'child.ts',
      [
        `import { processIo } from ${JSON.stringify(join(repoRoot, 'src/cli/io.ts'))};`,
        `import { writeFileAtomically } from ${JSON.stringify(join(repoRoot, 'src/util/atomic-write.ts'))};`,
        "import { writeFileSync } from 'node:fs';",
        'const io = processIo();',
        'void writeFileAtomically, writeFileSync;',
        body,
      ].join('\n'),
    );
  }

  async function script(body: string) {
    const file = await childScript(body);
    const child = execa('node', ['--import', 'tsx', file], { cwd: repoRoot, reject: false });
    // the child says "ready" once its handlers are as the test wants them
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', () => reject(new Error('the child exited before it was ready')));
    });
    // wrapped: an execa child is a promise, and returning it would wait for the child to end
    return { child };
  }

  it('a command busy on the main thread, that never asked for a graceful stop, ends at SIGTERM at once', async () => {
    // one regular expression or a long synchronous loop: a JavaScript handler would never run
    const { child } = await script(
      "console.log('ready'); const end = Date.now() + 60_000; while (Date.now() < end);",
    );
    const sent = performance.now();
    child.kill('SIGTERM');
    const result = await child;
    expect(result.signal).toBe('SIGTERM');
    expect(performance.now() - sent).toBeLessThan(5_000);
  });

  it('a command that asked for a graceful stop gets the signal as an abort, with its name', async () => {
    const { child } = await script(
      [
        'const signal = io.interrupt(() => undefined);',
        "signal.addEventListener('abort', () => { console.log('aborted', signal.reason); process.exit(0); });",
        "console.log('ready'); setInterval(() => undefined, 1000);",
      ].join('\n'),
    );
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('aborted SIGINT');
  });

  it('a command with something to clean up outlives the reader of its output (2>&1 | head): it finishes', async () => {
    const { child } = await script(
      [
        'io.interrupt(() => undefined);',
        "console.log('ready');",
        "const progress = setInterval(() => process.stderr.write('progress\\n'), 5);",
        // the cleanup that must still run once nobody reads the progress lines
        "setTimeout(() => { clearInterval(progress); writeFileSync(import.meta.dirname + '/cleaned-up', ''); process.exit(7); }, 500);",
      ].join('\n'),
    );
    child.stderr?.destroy();
    const result = await child;
    expect(result.exitCode).toBe(7);
    expect(readdirSync(temp.dir())).toContain('cleaned-up');
  });

  it('a command with nothing to clean up stops quietly when its reader leaves (| head)', async () => {
    const { child } = await script(
      "console.log('ready'); setInterval(() => process.stdout.write('line\\n'), 5); setTimeout(() => process.exit(7), 5000);",
    );
    child.stdout?.destroy();
    const result = await child;
    expect(result.exitCode).toBe(0);
  });

  it('a failing command whose error nobody reads (2>&1 | head -c 0) keeps its exit code', async () => {
    const { child } = await script(
      "console.log('ready'); setTimeout(() => { process.exitCode = 2; process.stderr.write('error: bad input\\n'); }, 300);",
    );
    child.stderr?.destroy();
    const result = await child;
    expect(result.exitCode).toBe(2);
  });

  it('output that cannot be written (a full disk) is an error line and exit 1, after the cleanup of a graceful command', async () => {
    const full = openSync('/dev/full', 'w');
    onTestFinished(() => closeSync(full));
    // the child's stdout is /dev/full itself, not a pipe the test reads
    const run = (file: string) =>
      spawnSync('node', ['--import', 'tsx', file], { cwd: repoRoot, stdio: ['ignore', full, 'pipe'] });
    const lost = run(await childScript("process.stdout.write('result\\n'); process.exitCode = 0;"));
    expect(lost.status).toBe(1);
    expect(lost.stderr.toString()).toBe(
      'error: cannot write to stdout: ENOSPC: no space left on device, write\n',
    );
    // bad input stays exit 2 when its error line cannot be written either
    const unprintable = spawnSync(
      'node',
      [
        '--import',
        'tsx',
        await childScript("process.exitCode = 2; process.stderr.write('error: bad input\\n');"),
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', full] },
    );
    expect(unprintable.status).toBe(2);
    const cleaned = run(
      await childScript(
        [
          'io.interrupt(() => undefined);',
          "process.stdout.write('progress\\n');",
          "setTimeout(() => { writeFileSync(import.meta.dirname + '/cleaned-up', ''); process.exitCode = 0; }, 200);",
        ].join('\n'),
      ),
    );
    expect(cleaned.status).toBe(1);
    expect(readdirSync(temp.dir())).toContain('cleaned-up');
  });

  it('a signal while a file is being written removes the temp file and exits 143', async () => {
    const { child } = await script(
      [
        "void writeFileAtomically(import.meta.dirname + '/out.json', async () => {",
        "  console.log('ready');",
        '  await new Promise(() => undefined);',
        '});',
        'setInterval(() => undefined, 1000);',
      ].join('\n'),
    );
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(readdirSync(temp.dir()).sort()).toEqual(['child.ts']);
  });
});
