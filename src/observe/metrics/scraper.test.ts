import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../lab/ports.js';
import { resolveTargets } from '../target.js';
import { scrapeTargets } from './scraper.js';

const EXPOSITION = '# TYPE up gauge\nup 1\n';
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A real metrics endpoint on a free port answering `status` and `body`; records what it was sent. */
async function endpoint(status: number, body: string, seen: IncomingMessage[] = []): Promise<number> {
  const server = createServer((request, response) => {
    seen.push(request);
    response.writeHead(status, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

async function scrapeOnce(url: string) {
  const targets = await resolveTargets(url, { namespace: 'default' });
  try {
    return await scrapeTargets(targets, { intervalMs: 100, once: true });
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}

describe('scrape failures say what went wrong and what to check', () => {
  it('401: an HTTP failure with the status and a hint about the bearer token', async () => {
    const port = await endpoint(401, 'Unauthorized\n');
    const { stores, failures } = await scrapeOnce(`http://127.0.0.1:${port}/metrics`);
    expect(stores[0]!.size).toBe(0);
    expect(failures).toEqual([
      expect.objectContaining({
        kind: 'http',
        status: 401,
        reason: 'HTTP 401: Unauthorized',
        message: `http://127.0.0.1:${port}/metrics: HTTP 401: Unauthorized`,
      }),
    ]);
    expect(failures[0]!.hint).toMatch(/bearer token \(--bearer-token-file\)/);
  });

  it.each([
    [403, /RBAC/],
    [404, /check the port and the path/],
    [500, /logs/],
  ])('%i: an HTTP failure with its own hint', async (status, hint) => {
    const port = await endpoint(status, 'no\n');
    const { failures } = await scrapeOnce(`http://127.0.0.1:${port}/metrics`);
    expect(failures[0]).toMatchObject({ kind: 'http', status });
    expect(failures[0]!.hint).toMatch(hint);
  });

  it('a closed port: a connection failure naming the refusal', async () => {
    const port = await freePort();
    const { failures } = await scrapeOnce(`http://127.0.0.1:${port}/metrics`);
    expect(failures[0]).toMatchObject({
      kind: 'connection',
      reason: `refused (ECONNREFUSED) connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    expect(failures[0]!.hint).toMatch(/nothing listens there/);
  });

  it('a body that is not an exposition: a parse failure', async () => {
    const port = await endpoint(200, '<html><body>login</body></html>\n');
    const { stores, failures } = await scrapeOnce(`http://127.0.0.1:${port}/metrics`);
    expect(stores[0]!.size).toBe(0);
    expect(failures[0]).toMatchObject({ kind: 'parse' });
    expect(failures[0]!.reason).toMatch(/^not a metrics exposition: line 1: /);
  });

  it('sends the credentials of the URL but never shows them', async () => {
    const seen: IncomingMessage[] = [];
    const port = await endpoint(200, EXPOSITION, seen);
    const url = `http://scraper:s3cret@127.0.0.1:${port}/metrics?access_token=s3cret-too`;
    const { stores } = await scrapeOnce(url);
    expect(stores[0]!.size).toBe(1);
    expect(stores[0]!.target).toBe(`http://REDACTED@127.0.0.1:${port}/metrics?access_token=REDACTED`);
    expect(seen[0]!.url).toBe('/metrics?access_token=s3cret-too');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('scraper:s3cret').toString('base64')}`);

    const closed = await freePort();
    const failed = await scrapeOnce(`http://scraper:s3cret@127.0.0.1:${closed}/metrics?token=s3cret-too`);
    expect(JSON.stringify(failed)).not.toContain('s3cret');
  });
});
