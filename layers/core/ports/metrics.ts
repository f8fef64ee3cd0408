/**
 * The business metrics dataio emits, with their units. One list, so the emitting code, the
 * dashboard and docs/operations.md name the same metrics.
 */
export const METRIC_UNITS = {
  /** A job was accepted (stored and handed to its workflow). */
  JobsStarted: 'Count',
  /** A job ended COMPLETED. */
  JobsCompleted: 'Count',
  /** A job ended FAILED (its workflow failed, its rows failed without `skip_errors`, or it was swept). */
  JobsFailed: 'Count',
  /** A job ended CANCELLED. */
  JobsCancelled: 'Count',
  /** Records an import wrote (new + updated rows of a committed import). */
  RowsImported: 'Count',
  /** Rows an export wrote to its output file. */
  RowsExported: 'Count',
  /** Import rows with at least one error (dry runs included). */
  RowErrors: 'Count',
  /** From the job's creation to its end, for COMPLETED and FAILED jobs. */
  JobDurationMs: 'Milliseconds',
  /** Open jobs the sweeper marked FAILED because they outlived their time limit. */
  StuckJobsSwept: 'Count',
} as const;

/** Name of a dataio metric. */
export type MetricName = keyof typeof METRIC_UNITS;

/** Unit of a dataio metric. */
export type MetricUnit = (typeof METRIC_UNITS)[MetricName];

/** Values of some metrics, recorded together. */
export type MetricValues = Partial<Record<MetricName, number>>;

/**
 * Dimensions of a data point. Low-cardinality values only (a job type, a model name): every
 * distinct combination is a separate, billed CloudWatch metric, so never an organization or an id.
 */
export type MetricDimensions = Readonly<Record<string, string>>;

/** Records business metrics (CloudWatch embedded metric format on AWS). */
export interface MetricsRecorder {
  /** Records `values` as data points sharing `dimensions`. Never throws for the caller's sake: metrics must not fail a job. */
  record(values: MetricValues, dimensions?: MetricDimensions): void;
}
