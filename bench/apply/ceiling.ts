import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';

/**
 * The API server's ceiling for creating Machines: the simplest client possible. A raw undici Pool
 * with the lab's admin client certificate POSTs pre-serialised Machines (metadata.generateName, no
 * tracking, no watch, no retries) with a fixed number in flight. Only for the lab on 127.0.0.1.
 */

export interface CeilingObject {
  namespace: string;
  body: string;
}

export interface CeilingResult {
  creates: number;
  failed: number;
  statuses: Record<string, number>;
  seconds: number;
  createsPerSecond: number;
}

export async function ceilingRun(options: {
  server: string;
  pkiDir: string;
  objects: CeilingObject[];
  connections: number;
  concurrency: number;
}): Promise<CeilingResult> {
  const url = new URL(options.server);
  if (url.hostname !== '127.0.0.1') throw new Error(`ceiling: not a lab on 127.0.0.1: ${options.server}`);
  const pool = new Pool(url.origin, {
    connections: options.connections,
    pipelining: 1,
    connect: {
      ca: readFileSync(join(options.pkiDir, 'ca.crt')),
      cert: readFileSync(join(options.pkiDir, 'admin.crt')),
      key: readFileSync(join(options.pkiDir, 'admin.key')),
    },
  });
  const statuses: Record<string, number> = {};
  let created = 0;
  let next = 0;
  const worker = async () => {
    while (next < options.objects.length) {
      const object = options.objects[next++] as CeilingObject;
      let status: string;
      try {
        const response = await pool.request({
          method: 'POST',
          path: `/apis/vitistack.io/v1alpha1/namespaces/${object.namespace}/machines`,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: object.body,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        await response.body.dump();
        status = String(response.statusCode);
      } catch (error) {
        status = (error as { code?: string }).code ?? 'error';
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === '201') created++;
    }
  };
  try {
    // one warm-up request per connection is not done: the first requests pay the TLS handshakes, as
    // every client's do
    const start = performance.now();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    return {
      creates: created,
      failed: options.objects.length - created,
      statuses,
      seconds: +seconds.toFixed(3),
      createsPerSecond: +(created / seconds).toFixed(1),
    };
  } finally {
    await pool.close();
  }
}
