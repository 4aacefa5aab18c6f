import { toYaml } from '../util/yaml-emit.js';

export type ManifestFormat = 'yaml' | 'json';

/**
 * Serialise objects as a stream `kubectl apply -f` accepts: YAML documents separated by `---`, or a
 * JSON `kind: List`. Yields chunks so callers can write with backpressure.
 */
export function* manifestChunks(objects: Iterable<unknown>, format: ManifestFormat): Generator<string> {
  if (format === 'yaml') {
    let first = true;
    for (const object of objects) {
      yield first ? toYaml(object) : `---\n${toYaml(object)}`;
      first = false;
    }
    return;
  }
  yield '{"apiVersion":"v1","kind":"List","items":[';
  let first = true;
  for (const object of objects) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(object)}`;
    first = false;
  }
  yield '\n]}\n';
}
