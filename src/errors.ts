/**
 * One error hierarchy for the whole tool. Everything below the CLI layer throws these; only
 * src/cli/main.ts turns them into a printed line and an exit code.
 */

export type ErrorKind = 'usage' | 'input' | 'runtime' | 'gate' | 'interrupted';

const EXIT_CODES: Record<ErrorKind, number> = {
  runtime: 1,
  usage: 2,
  input: 2,
  gate: 3,
  interrupted: 130,
};

/** Where bad input came from: a file position, an object index, a JSON path, a URL. */
export interface SourceLocation {
  file?: string;
  line?: number;
  column?: number;
  objectIndex?: number;
  jsonPath?: string;
  url?: string;
}

export class VitictlError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;
  /** kind interrupted: SIGTERM exits 143, as a shell reports a process it terminated */
  readonly bySigterm: boolean;

  constructor(
    kind: ErrorKind,
    message: string,
    options: { hint?: string; location?: SourceLocation; cause?: unknown; bySigterm?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VitictlError';
    this.kind = kind;
    this.hint = options.hint;
    this.location = options.location;
    this.bySigterm = options.bySigterm === true;
  }

  get exitCode(): number {
    return this.kind === 'interrupted' && this.bySigterm ? 143 : EXIT_CODES[this.kind];
  }
}

export function inputError(message: string, options: { hint?: string; location?: SourceLocation } = {}) {
  return new VitictlError('input', message, options);
}

export function usageError(message: string, hint?: string) {
  return new VitictlError('usage', message, hint === undefined ? {} : { hint });
}

/** A run the user stopped (`signal`'s reason: the signal's name) before it had a result to report. */
export function interruptedError(message: string, signal: AbortSignal) {
  return new VitictlError('interrupted', message, { bySigterm: signal.reason === 'SIGTERM' });
}

export function runtimeError(message: string, options: { hint?: string; cause?: unknown } = {}) {
  return new VitictlError('runtime', message, options);
}

/** "file:line:column", "object 3", "$.spec.x" joined as a prefix for one-line messages. */
export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  const parts: string[] = [];
  if (location.file !== undefined) {
    let where = location.file;
    if (location.line !== undefined) {
      where += `:${location.line}`;
      if (location.column !== undefined) where += `:${location.column}`;
    }
    parts.push(where);
  }
  if (location.url !== undefined) parts.push(location.url);
  if (location.objectIndex !== undefined) parts.push(`object ${location.objectIndex}`);
  if (location.jsonPath !== undefined) parts.push(location.jsonPath);
  return parts.join(': ');
}
