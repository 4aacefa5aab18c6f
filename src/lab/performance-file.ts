import { performanceConfigSchema } from '../config/performance-schema.js';
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
  const sections = Object.keys(performanceConfigSchema.shape);
  const hint = `vitictl tune emits one; its sections: ${sections.join(', ')}`;
  if (!isPlainObject(value)) {
    throw inputError('a performance config is a ConfigMap or a YAML mapping (controller:, rateLimit: …)', {
      location: { file, line: 1, column: 1 },
      hint,
    });
  }
  // unknown sections are kept for the operator, but a mapping with none it knows is another file
  const keys = Object.keys(value);
  if (keys.length > 0 && !keys.some((key) => sections.includes(key))) {
    throw inputError(
      `this mapping has none of a performance config's sections (it has ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''})`,
      {
        location: source.locate([keys[0] as string], 'key'),
        hint,
      },
    );
  }
  return text;
}
