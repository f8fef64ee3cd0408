import type { MetricDimensions, MetricName, MetricsRecorder, MetricValues } from '../../layers/core/ports';

/** One recorded call: values sharing dimensions. */
export interface RecordedMetrics {
  readonly values: MetricValues;
  readonly dimensions: MetricDimensions;
}

/** A MetricsRecorder that keeps what it was given, for tests to assert on. */
export class InMemoryMetricsRecorder implements MetricsRecorder {
  readonly recorded: RecordedMetrics[] = [];

  record(values: MetricValues, dimensions: MetricDimensions = {}): void {
    this.recorded.push({ values: { ...values }, dimensions: { ...dimensions } });
  }

  /** The sum of a metric over the calls whose dimensions include `dimensions`. */
  total(name: MetricName, dimensions: MetricDimensions = {}): number {
    return this.recorded
      .filter((r) => Object.entries(dimensions).every(([k, v]) => r.dimensions[k] === v))
      .reduce((sum, r) => sum + (r.values[name] ?? 0), 0);
  }

  /** Every value recorded for a metric, in order. */
  valuesOf(name: MetricName): number[] {
    return this.recorded.flatMap((r) => (r.values[name] === undefined ? [] : [r.values[name]]));
  }
}
