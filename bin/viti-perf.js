#!/usr/bin/env node
// Launcher only: `viti perf …` runs this as a viti plugin; the CLI lives in dist/cli/viti.js.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/viti.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'error: viti-perf is not built (dist/ is missing)\nhint: run `npm run build` in the vitictl checkout\n',
  );
  process.exit(1);
}
const { vitiMain } = await import(entry.href);
const { processIo } = await import(new URL('../dist/cli/io.js', import.meta.url).href);
process.exitCode = await vitiMain(process.argv.slice(2), processIo());
