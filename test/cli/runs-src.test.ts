import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';
import { repoRoot } from '../helpers/files.js';

/** Where the unit project's test files are (checked against vitest.config.ts below). */
const UNIT_ROOTS = ['src', 'test/cli'];

const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*['"]([^'"]+)['"]/g;
/** a string literal that names the build or the launcher, as a path to import or spawn would */
const BUILD_PATH = /(['"`])(?:(?!\1)[^\n])*(?:\bdist\/|bin\/vitictl)(?:(?!\1)[^\n])*\1/;
const THIS_FILE = 'test/cli/runs-src.test.ts';

function testFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every file the unit tests load from this repository, following relative imports from the test files. */
function loadedFiles(): Set<string> {
  const seen = new Set<string>();
  const pending = UNIT_ROOTS.flatMap(testFiles);
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (!specifier!.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier!);
      const source = target.replace(/\.js$/, '.ts');
      pending.push(existsSync(source) ? source : target);
    }
  }
  return seen;
}

describe('the unit project', () => {
  const loaded = [...loadedFiles()].map((file) => relative(repoRoot, file));

  it('reads the test files vitest.config.ts puts in the unit project', () => {
    const projects = (config.test?.projects ?? []) as Array<{ test?: { name?: string; include?: string[] } }>;
    const unit = projects.find((project) => project.test?.name === 'unit');
    expect(unit?.test?.include).toEqual(UNIT_ROOTS.map((root) => `${root}/**/*.test.ts`));
  });

  it('follows the imports of every unit test file', () => {
    expect(loaded).toContain('test/cli/scenario-cli.test.ts');
    expect(loaded).toContain('test/helpers/cli.ts');
    expect(loaded).toContain('src/cli/main.ts');
    expect(loaded).toContain('src/cli/commands/scenario.ts');
  });

  it('runs src/ only: it loads nothing from dist/ and never starts the built binary', () => {
    expect(loaded.filter((file) => file.startsWith('dist/') || file.startsWith('bin/'))).toEqual([]);
    expect(loaded).not.toContain('test/helpers/binary.ts');
    const namingTheBuild = loaded.filter(
      (file) => file !== THIS_FILE && BUILD_PATH.test(readFileSync(join(repoRoot, file), 'utf8')),
    );
    expect(namingTheBuild).toEqual([]);
  });
});
