import { stripVTControlCharacters } from 'node:util';
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

/**
 * Aligned columns like borderlessTable, rendered in one pass: cli-table3 measures and pads every cell
 * through several layers and takes seconds for thousands of rows. Cells are one line each.
 */
export function alignedColumns(head: string[], rows: string[][], style: Style): string {
  const widths = head.map((cell) => cell.length);
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const width = stripVTControlCharacters(row[i] as string).length;
      if (width > (widths[i] as number)) widths[i] = width;
    }
  }
  const line = (cells: string[], plain: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1
          ? cell
          : cell + ' '.repeat((widths[i] as number) + 3 - (plain[i] as string).length),
      )
      .join('')
      .trimEnd();
  const out = [
    line(
      head.map((cell) => style.bold(cell)),
      head,
    ),
  ];
  for (const row of rows)
    out.push(
      line(
        row,
        row.map((cell) => stripVTControlCharacters(cell)),
      ),
    );
  return out.join('\n');
}
