import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ProbeTls {
  ca: string;
  cert?: string;
  key?: string;
}

export interface ProbeResult {
  status: number;
  body: string;
}

/** One GET with a short timeout; TLS verified against the lab CA. Never throws: errors are status 0. */
export function probe(url: string, tls?: ProbeTls, timeoutMs = 2000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const options = {
      method: 'GET',
      timeout: timeoutMs,
      ...(tls
        ? {
            ca: readFileSync(tls.ca),
            ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
            ...(tls.key ? { key: readFileSync(tls.key) } : {}),
          }
        : {}),
    };
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      options,
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 65_536) body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ status: 0, body: error.message }));
    request.end();
  });
}
