#!/usr/bin/env node
// Launcher only: the CLI lives in dist/cli/main.js (built by `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'error: vitictl is not built (dist/ is missing)\nhint: run `npm run build` in the vitictl checkout\n',
  );
  process.exit(1);
}
const { main } = await import(entry.href);
const { processIo } = await import(new URL('../dist/cli/io.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2), processIo());
