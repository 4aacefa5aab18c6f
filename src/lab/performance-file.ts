import { parseYamlSource, readTextFile } from '../config/yaml-source.js';
import { inputError } from '../errors.js';
import { isPlainObject } from '../util/plain-object.js';

/**
 * `--config FILE`: either the ConfigMap manifest (`vitictl tune` output) or its performance.yaml alone.
 * Returns the performance.yaml text.
 */
export async function readPerformanceConfig(file: string): Promise<string> {
  const text = await readTextFile(file, 'performance config');
  const source = parseYamlSource(file, text);
  const value = source.value;
  if (isPlainObject(value) && value.kind === 'ConfigMap') {
    const data = isPlainObject(value.data) ? value.data : undefined;
    const yaml = data?.['performance.yaml'];
    if (typeof yaml !== 'string') {
      throw inputError('the ConfigMap has no data."performance.yaml"', {
        location: source.locate(['data']),
        hint: 'vitictl tune emits the expected shape',
      });
    }
    return yaml;
  }
  if (!isPlainObject(value)) {
    throw inputError('a performance config is a ConfigMap or a YAML mapping (controller:, rateLimit: …)', {
      location: { file, line: 1, column: 1 },
    });
  }
  return text;
}
