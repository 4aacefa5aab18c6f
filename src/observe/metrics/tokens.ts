/** What the tokenizer (lexer.ts) makes of one line of an exposition: text with its columns. */

export interface Syntax {
  openMetrics: boolean;
  strict: boolean;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxLabels: number;
}

export interface LabelToken {
  name: string;
  value: string;
  column: number;
}

export interface ExemplarToken {
  labels: LabelToken[];
  column: number;
  value: string;
  valueColumn: number;
  timestamp?: string;
  timestampColumn?: number;
}

export interface SampleToken {
  kind: 'sample';
  name: string;
  labels: LabelToken[];
  value: string;
  valueColumn: number;
  timestamp?: string;
  timestampColumn?: number;
  exemplar?: ExemplarToken;
}

export type Keyword = 'HELP' | 'TYPE' | 'UNIT';

export interface MetadataToken {
  kind: 'metadata';
  keyword: Keyword;
  name: string;
  /** HELP unescaped; TYPE and UNIT as written */
  text: string;
  textColumn: number;
}

export type LineToken = SampleToken | MetadataToken | { kind: 'eof' } | { kind: 'skip' };
