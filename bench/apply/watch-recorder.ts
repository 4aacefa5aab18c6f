// A second reader of the lab's Machine watch, in its own process and doing nothing else: what an idle
// client on the same host reads, and when (the baseline for vitictl's read), and the recorded stream
// the replay part plays back. Plain node:https, no vitictl code.
//   node --import tsx bench/apply/watch-recorder.ts SERVER PKI_DIR LABEL_SELECTOR OUT_FILE
// Prints "open" once the watch answered; on SIGTERM writes OUT_FILE (one JSON line per chunk:
// {"at": wall ms when its bytes were read, "text": the chunk}) and exits.
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

const [server, pki, selector, out] = process.argv.slice(2) as [string, string, string, string];
const url = new URL(server);
const chunks: Array<{ at: number; text: string }> = [];

const watch = request(
  {
    host: url.hostname,
    port: url.port,
    path: `/apis/vitistack.io/v1alpha1/machines?watch=1&resourceVersion=0&labelSelector=${encodeURIComponent(selector)}`,
    ca: readFileSync(join(pki, 'ca.crt')),
    cert: readFileSync(join(pki, 'admin.crt')),
    key: readFileSync(join(pki, 'admin.key')),
  },
  (response) => {
    process.stdout.write(`open ${response.statusCode}\n`);
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      chunks.push({ at: performance.timeOrigin + performance.now(), text });
    });
  },
);
watch.on('error', (error) => {
  process.stderr.write(`watch-recorder: ${error.message}\n`);
  process.exit(1);
});
watch.end();

process.on('SIGTERM', () => {
  writeFileSync(out, chunks.map((chunk) => JSON.stringify(chunk)).join('\n'));
  process.exit(0);
});
