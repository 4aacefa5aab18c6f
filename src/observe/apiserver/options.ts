import { usageError } from '../../errors.js';
import { redactUrl } from '../../util/redact-url.js';
import type { ApiServerObserve } from './scrape.js';

/**
 * --no-apiserver-metrics and --etcd-metrics (apply, perf run): what is scraped beside the load besides
 * the controller. The API server is scraped through the run's own connection; etcd only by URL.
 */
export async function apiserverObserve(options: {
  enabled: boolean;
  etcdUrl: string | undefined;
  intervalMs: number;
  maxBytes?: number | undefined;
  onWarning?: ((message: string) => void) | undefined;
}): Promise<Omit<ApiServerObserve, 'apiserver'> | undefined> {
  if (!options.enabled) {
    if (options.etcdUrl)
      throw usageError('--etcd-metrics needs the API server scrape', 'drop --no-apiserver-metrics');
    return undefined;
  }
  let etcd: ApiServerObserve['etcd'];
  if (options.etcdUrl) {
    if (!/^https?:\/\//.test(options.etcdUrl))
      throw usageError(
        `--etcd-metrics must be a URL (got "${redactUrl(options.etcdUrl)}")`,
        'e.g. http://127.0.0.1:2381/metrics',
      );
    const { resolveTargets } = await import('../target.js');
    [etcd] = await resolveTargets(options.etcdUrl, {
      namespace: 'default',
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }
  return {
    intervalMs: options.intervalMs,
    ...(etcd ? { etcd } : {}),
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  };
}
