import type { ComponentStatus } from '../lab/lab.js';
import type { LabState } from '../lab/state.js';
import type { Style } from './style.js';
import { borderlessTable, trimLines } from './table.js';

export function renderLabStatus(state: LabState, components: ComponentStatus[], style: Style): string {
  const table = borderlessTable(['COMPONENT', 'PID', 'STATE', 'ENDPOINT'], style);
  for (const c of components) {
    const stateText = !c.running
      ? style.red('stopped')
      : c.healthy
        ? style.green('healthy')
        : style.yellow('unhealthy');
    table.push([c.component, c.pid === undefined ? '-' : String(c.pid), stateText, c.endpoint]);
  }
  const api = state.vitistackApi ? ` · API ${state.vitistackApi.module} ${state.vitistackApi.version}` : '';
  return `${trimLines(table.toString())}\nkubernetes ${state.kubernetesVersion}${api} · started ${state.startedAt} · KUBECONFIG=${state.kubeconfig}\n`;
}
