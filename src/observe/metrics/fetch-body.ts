import { gunzipBoundedOffThread } from '../../util/read-input.js';
import { redactUrl } from '../../util/redact-url.js';
import type { BodyLimit, Target } from '../target.js';
import type { Exposition } from './model.js';

export const ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The API server's Status message (proxied targets), else the first line of the body. */
function explainStatus(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { kind?: string; message?: string };
    if (parsed.kind === 'Status' && parsed.message) return parsed.message;
  } catch {
    // not a Status
  }
  return body.toString('utf8').trim().split('\n')[0]?.slice(0, 200) ?? '';
}

/** A scrape the target answered with a status other than 200; `reason` is "HTTP 401: Unauthorized". */
export class ScrapeStatusError extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'ScrapeStatusError';
  }
}

/**
 * One GET of a metrics endpoint, gunzipped, with its format from Content-Type. The body is bounded
 * twice, as sent and as gunzipped: a small gzip can hold any size. On the scrape thread `target` is
 * that thread's sender of the same request.
 */
export async function fetchBody(
  target: Pick<Target, 'get' | 'where'>,
  path: string,
  timeoutMs: number,
  limit: BodyLimit,
  signal?: AbortSignal,
): Promise<{ body: Buffer; format: Exposition['format'] }> {
  const response = await target.get(path, {
    timeoutMs,
    accept: ACCEPT,
    limit,
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 200) {
    const location = response.headers.location;
    const explanation =
      response.status >= 300 && response.status < 400 && location
        ? `a redirect to ${redactUrl(String(location))}, which vitictl does not follow: scrape that URL`
        : explainStatus(response.body);
    throw new ScrapeStatusError(
      response.status,
      `HTTP ${response.status}${explanation ? `: ${explanation}` : ''}`,
    );
  }
  const encoding = String(response.headers['content-encoding'] ?? '');
  const body = encoding.includes('gzip')
    ? await gunzipBoundedOffThread(response.body, { url: target.where(path) }, limit.maxBytes, limit.hint)
    : response.body;
  const type = String(response.headers['content-type'] ?? '');
  return { body, format: type.includes('openmetrics') ? 'openmetrics' : 'text' };
}
