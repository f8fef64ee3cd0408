import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_UNITS, type MetricDimensions, type MetricName, type MetricsRecorder, type MetricValues } from '../core/ports';

const UNITS: Record<(typeof METRIC_UNITS)[MetricName], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
};

/**
 * Metrics as CloudWatch embedded metric format, written by Powertools Metrics: one EMF document
 * per `record` call, published at once rather than at the end of the invocation, because one
 * invocation may record jobs of different types and models (the sweeper does), and one EMF
 * document has one set of dimensions. Namespace and service come from POWERTOOLS_METRICS_NAMESPACE
 * and POWERTOOLS_SERVICE_NAME unless given; POWERTOOLS_METRICS_DISABLED turns it off.
 */
export class PowertoolsMetricsRecorder implements MetricsRecorder {
  private readonly metrics: Metrics;

  constructor(options: { namespace?: string; serviceName?: string; metrics?: Metrics } = {}) {
    this.metrics = options.metrics ?? new Metrics({ namespace: options.namespace, serviceName: options.serviceName });
  }

  record(values: MetricValues, dimensions: MetricDimensions = {}): void {
    const points = (Object.entries(values) as Array<[MetricName, number | undefined]>).filter(
      (point): point is [MetricName, number] => typeof point[1] === 'number' && Number.isFinite(point[1]),
    );
    if (points.length === 0) return;
    // Synchronous from the first dimension to the flush: concurrent invocations in one process
    // (the local stack) cannot interleave their data points.
    try {
      for (const [name, value] of Object.entries(dimensions)) this.metrics.addDimension(name, value);
      for (const [name, value] of points) this.metrics.addMetric(name, UNITS[METRIC_UNITS[name]], value);
      this.metrics.publishStoredMetrics();
    } catch (error) {
      // A metric must never fail the job it describes.
      this.metrics.clearMetrics();
      this.metrics.clearDimensions();
      console.warn(JSON.stringify({ level: 'WARN', message: 'metrics not recorded', error: error instanceof Error ? error.message : String(error) }));
    }
  }
}
