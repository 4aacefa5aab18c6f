import Table from 'cli-table3';
import type { Style } from './style.js';

const NO_BORDER = Object.fromEntries(
  [
    'top',
    'top-mid',
    'top-left',
    'top-right',
    'bottom',
    'bottom-mid',
    'bottom-left',
    'bottom-right',
    'left',
    'left-mid',
    'mid',
    'mid-mid',
    'right',
    'right-mid',
    'middle',
  ].map((key) => [key, '']),
);

/** Aligned columns without borders, like `kubectl get`. */
export function borderlessTable(head: string[], style: Style): Table.Table {
  return new Table({
    head: head.map((cell) => style.bold(cell)),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3 },
    chars: NO_BORDER,
  });
}

/** cli-table3 pads every cell; terminal output has no trailing blanks. */
export function trimLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
