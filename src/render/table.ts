import { stripVTControlCharacters } from 'node:util';
import Table from 'cli-table3';
import { escapeControlKeepColour } from '../util/escape-control.js';
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

/**
 * A cell as the terminal may show it: text from targets, profiles and files (labels, function names,
 * HELP) can hold escape sequences and newlines that would forge rows or drive the terminal.
 */
function safeCell(cell: Table.Cell): Table.Cell {
  if (typeof cell === 'string') return escapeControlKeepColour(cell);
  if (cell !== null && typeof cell === 'object' && 'content' in cell && typeof cell.content === 'string')
    return { ...cell, content: escapeControlKeepColour(cell.content) };
  return cell;
}

/** Aligned columns without borders, like `kubectl get`; control characters in cells are escaped. */
export function borderlessTable(head: string[], style: Style): Table.Table {
  const table = new Table({
    head: head.map((cell) => style.bold(cell)),
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3 },
    chars: NO_BORDER,
  });
  const push = table.push.bind(table);
  table.push = (...rows: Table.Table[number][]) =>
    push(...rows.map((row) => (Array.isArray(row) ? row.map(safeCell) : row)));
  return table;
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
 * through several layers and takes seconds for thousands of rows. Cells are one line each: control
 * characters in them are escaped.
 */
export function alignedColumns(head: string[], given: string[][], style: Style): string {
  const rows = given.map((row) => row.map(escapeControlKeepColour));
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
