/** The parsed form of a Prometheus text (0.0.4) or OpenMetrics (1.0) exposition. */

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'info'
  | 'stateset'
  | 'gaugehistogram';

export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** seconds since the epoch exactly as written (a decimal: sub-millisecond digits are kept) */
  timestamp?: string;
}

export interface Sample {
  /** the sample's own name, e.g. http_requests_total or latency_bucket */
  name: string;
  labels: Record<string, string>;
  value: number;
  /**
   * The timestamp exactly as written: text 0.0.4 integer milliseconds, OpenMetrics decimal seconds
   * (kept as text: a float64 of milliseconds would merge points that differ below a millisecond).
   */
  timestamp?: string;
  exemplar?: Exemplar;
  line: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  unit?: string;
  samples: Sample[];
}

export interface ParseProblem {
  line: number;
  column?: number;
  message: string;
}

export interface Exposition {
  format: 'text' | 'openmetrics';
  families: Map<string, MetricFamily>;
  /** lenient mode: what was skipped; strict mode throws on the first instead */
  problems: ParseProblem[];
}
