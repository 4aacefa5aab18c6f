import { describe, expect, it } from 'vitest';
import { makeStyle } from './style.js';
import { alignedColumns, borderlessTable, trimLines } from './table.js';

const forged = 'ok\nFAKE   99.00 all good\n\u001b]0;pwned\u0007\u001b[2J';
const shown = 'ok\\u000aFAKE   99.00 all good\\u000a\\u001b]0;pwned\\u0007\\u001b[2J';

describe('terminal tables show text from targets and files, never obey it', () => {
  it('alignedColumns escapes newlines and escape sequences in cells: one row stays one line', () => {
    const text = alignedColumns(['NAME', 'VALUE'], [[forged, '1']], makeStyle(false));
    expect(text.split('\n')).toEqual(['NAME' + ' '.repeat(shown.length - 1) + 'VALUE', `${shown}   1`]);
  });

  it('borderlessTable does the same for every row pushed, and keeps the colours vitictl adds', () => {
    const style = makeStyle(true);
    const table = borderlessTable(['NAME', 'STATE'], style);
    table.push([forged, style.red('failed')]);
    const lines = trimLines(table.toString()).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(shown);
    expect(lines[1]).toContain(style.red('failed'));
  });
});
