import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_AS_USER } from '../../src/perf/job.js';
import { repoRoot } from '../helpers/files.js';

/** The Dockerfile cannot be built here (no container daemon); what it copies is checked against the repo. */
describe('the container image definition', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));

  it('copies only what exists in the repository', () => {
    expect(copies.length).toBeGreaterThan(0);
    for (const source of copies) expect(existsSync(join(repoRoot, source)), source).toBe(true);
  });

  it('ships every directory the CLI reads at run time, the built code, and runs it as uid 1000', () => {
    const runtime = readFileSync(join(repoRoot, 'package.json'), 'utf8');
    const files = (JSON.parse(runtime) as { files: string[] }).files.filter((dir) => dir !== 'lab');
    for (const dir of files) {
      const shipped = copies.includes(dir) || dockerfile.includes(`COPY --from=build /src/${dir} ./${dir}`);
      expect(shipped, `${dir} is in package.json "files" but not in the image`).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m); // the node image's uid 1000, the Job's runAsUser
    expect(RUN_AS_USER).toBe(1000);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/vitictl\.js"\]$/m);
  });
});
