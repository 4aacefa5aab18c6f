import { inputError } from '../errors.js';

/** 1-based line and column of a character offset in `text`. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let at = text.indexOf('\n'); at !== -1 && at < end; at = text.indexOf('\n', at + 1)) {
    line += 1;
    lineStart = at + 1;
  }
  return { line, column: end - lineStart + 1 };
}

const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /[0-9a-fA-F]/;

/**
 * Offset of the first character that makes `text` not JSON (text.length when it ends too early), or
 * -1 when it is JSON. Only called after JSON.parse failed: V8 names an offset for some errors
 * ("at position 11") but not for an unexpected token. Iterative, so nesting depth costs no stack.
 */
export function firstJsonErrorOffset(text: string): number {
  let i = 0;
  const open: string[] = [];
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  // a string starting at i: true with i past it, or false with i at the fault
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < text.length; i++) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c < ' ') return false;
      if (c === '\\') {
        const escaped = text[i + 1];
        if (escaped === 'u') {
          const end = i + 6;
          for (i += 2; i < end; i++) if (!HEX.test(text[i] ?? '')) return false;
          i--; // the string loop's i++ steps past the last hex digit
        } else if (escaped !== undefined && ESCAPES.has(escaped)) i++;
        else {
          i++;
          return false;
        }
      }
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < text.length && (text[i] as string) >= '0' && (text[i] as string) <= '9') i++;
    return i > start;
  };
  // a number at i: true with i past it, or false with i at the first character that cannot follow
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  // an object key and its colon, i at the key
  const key = (): boolean => {
    if (!string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  let wantValue = true;
  for (;;) {
    skipSpace();
    const c = text[i];
    if (wantValue) {
      if (c === '{' || c === '[') {
        open.push(c);
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          open.pop();
          i++;
          wantValue = false;
        } else if (c === '{' && !key()) return i;
        continue;
      }
      if (c === '"') {
        if (!string()) return i;
      } else if (c === 't' || c === 'f' || c === 'n') {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
        for (const expected of word) {
          if (text[i] !== expected) return i;
          i++;
        }
      } else if (!number()) return i;
      wantValue = false;
      continue;
    }
    const container = open.at(-1);
    if (container === undefined) return i < text.length ? i : -1;
    if (c === ',') {
      i++;
      skipSpace();
      if (container === '{' && !key()) return i;
      wantValue = true;
    } else if (c === (container === '{' ? '}' : ']')) {
      open.pop();
      i++;
    } else return i;
  }
}

/**
 * JSON.parse for an input file: malformed JSON becomes an input error at file:line:column, with V8's
 * reason (without the echo of the text it adds to some).
 */
export function parseJsonInput(text: string, file: string, what: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = firstJsonErrorOffset(text);
    const reason = message
      .replace(
        /^Unexpected token '(.+?)', .* is not valid JSON$/s,
        (_, token: string) => `Unexpected token ${JSON.stringify(token)}`,
      )
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/^Unexpected end of JSON input$/, 'the text ends too early');
    throw inputError(`${what} is not JSON: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`, {
      location: { file, ...lineColumnAt(text, offset === -1 ? text.length : offset) },
      hint,
    });
  }
}
