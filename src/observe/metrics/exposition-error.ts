/**
 * Input the exposition specifications reject, at a line and (1-based) column; `limit` when it is
 * rather past one of our caps (ParseLimits).
 */
export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    readonly column: number | undefined,
    message: string,
    readonly limit = false,
  ) {
    super(message);
    this.name = 'ExpositionError';
  }
}

/** Throws an ExpositionError at the current line (or `line`) and 1-based `column`. */
export type Fail = (message: string, column?: number, line?: number) => never;
