import type { TuneResult } from '../report/sections/tune.js';
import { toYaml } from '../util/yaml-emit.js';

const CONFIGMAP_NAME = 'vitistack-performance-config';
const CONFIGMAP_NAMESPACE = 'vitistack-system';
export const CONFIG_KEY = 'performance.yaml';

/** performance.yaml with each changed knob's evidence as a comment above its section. */
function performanceYamlWithEvidence(result: TuneResult): string {
  const lines: string[] = [
    `# tuned by vitictl from run ${result.runId} (${result.controller} controller, ${result.windowSeconds.toFixed(0)}s window, ${result.target})`,
    `# diagnosis (${result.diagnosis.bottleneck}): ${result.diagnosis.message}`,
    ...result.diagnosis.instead.map((advice) => `# instead: ${advice}`),
    ...(result.sizing?.extrapolated ? [`# memory: ${result.sizing.extrapolated}`] : []),
  ];
  const sections = Object.entries(result.config);
  for (const [section, value] of sections) {
    for (const rec of result.recommendations.filter((r) => r.knob.startsWith(`${section}.`))) {
      const verdict = rec.changed
        ? `${String(rec.current ?? 'unset')} → ${String(rec.recommended)}`
        : `kept (${rec.why})`;
      lines.push(
        `# ${rec.knob}: ${verdict}${rec.changed ? `: ${rec.why}` : ''}${rec.formula && rec.changed ? `; ${rec.formula}` : ''}`,
      );
    }
    lines.push(toYaml({ [section]: value }).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

export interface ConfigMapOptions {
  name?: string;
  namespace?: string;
  generatedAt?: Date;
}

export function configMapObject(result: TuneResult, options: ConfigMapOptions = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: options.name ?? CONFIGMAP_NAME,
      namespace: options.namespace ?? CONFIGMAP_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'vitictl' },
      annotations: {
        'vitictl.io/run-id': result.runId,
        'vitictl.io/tuned-at': (options.generatedAt ?? new Date()).toISOString(),
      },
    },
    data: { [CONFIG_KEY]: performanceYamlWithEvidence(result) },
  };
}

/** The ConfigMap as YAML that `kubectl apply -f` accepts, performance.yaml as a literal block. */
export function renderConfigMapYaml(result: TuneResult, options: ConfigMapOptions = {}): string {
  const object = configMapObject(result, options);
  const { data, ...rest } = object;
  const block = data[CONFIG_KEY]
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
  return `# ${CONFIGMAP_NAME}: tuned by vitictl; the evidence for each value is in the comments of ${CONFIG_KEY}\n${toYaml(rest)}data:\n  ${CONFIG_KEY}: |\n${block}\n`;
}
