import { describe, expect, it } from 'vitest';
import { VitictlError } from '../errors.js';
import { firstJsonErrorOffset, lineColumnAt, parseJsonInput } from './json-input.js';

const VALID = '{\n  "a": [1, -2.5e3, true, false, null],\n  "b": {"c": "x\\"y\\u00e9"},\n  "d": []\n}\n';

/** Every way to damage VALID by one character: delete it, or replace it with one of a few others. */
function damaged(): string[] {
  const out: string[] = [];
  for (let i = 0; i < VALID.length; i++) {
    out.push(VALID.slice(0, i) + VALID.slice(i + 1));
    for (const c of ['}', ']', ',', ':', '"', 'x', '0', '\\', '\u0001'])
      out.push(VALID.slice(0, i) + c + VALID.slice(i + 1));
  }
  return out;
}

describe('finding where a text stops being JSON', () => {
  it('agrees with JSON.parse on whether each damaged text is JSON', () => {
    for (const text of damaged()) {
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      expect({ text, valid: firstJsonErrorOffset(text) === -1 }).toEqual({ text, valid: parses });
    }
  });

  it('names the same offset as V8 whenever V8 names one', () => {
    let compared = 0;
    for (const text of damaged()) {
      try {
        JSON.parse(text);
      } catch (error) {
        const position = /at position (\d+)/.exec((error as Error).message)?.[1];
        if (position === undefined) continue;
        compared += 1;
        expect({ text, offset: firstJsonErrorOffset(text) }).toEqual({ text, offset: Number(position) });
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('costs no stack for deep nesting', () => {
    const deep = '['.repeat(1_000_000);
    expect(firstJsonErrorOffset(deep)).toBe(deep.length);
  });
});

describe('parseJsonInput', () => {
  it('reports an unexpected token at its line and column, without echoing the text', () => {
    const error = (() => {
      try {
        parseJsonInput('{\n  "a": tru\n}', 'run.json', 'run file', 'a hint');
      } catch (caught) {
        return caught as VitictlError;
      }
    })();
    expect(error).toBeInstanceOf(VitictlError);
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toBe('run file is not JSON: unexpected token "\\n"');
    expect(error?.location).toEqual({ file: 'run.json', line: 2, column: 11 });
  });

  it('drops the excerpt V8 quotes from a long text', () => {
    const long = `{"pad": "${'x'.repeat(200)}",\n "a": tru }`;
    expect(() => parseJsonInput(long, 'f.json', 'run file', 'h')).toThrow(
      expect.objectContaining({
        message: 'run file is not JSON: unexpected token " "',
        location: { file: 'f.json', line: 2, column: 10 },
      }),
    );
  });

  it('puts a text that ends too early at its end', () => {
    expect(() => parseJsonInput('{"a": [1,\n', 'f.json', 'scrapes file', 'h')).toThrow(
      expect.objectContaining({
        message: 'scrapes file is not JSON: the text ends too early',
        location: { file: 'f.json', line: 2, column: 1 },
      }),
    );
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumnAt('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnAt('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
