import { Tracer } from '@aws-lambda-powertools/tracer';
import { PowertoolsMetricsRecorder } from '../../layers/aws/powertools-metrics-recorder';
import type { LogKeys } from './log';

/**
 * X-Ray tracing of the handlers and their AWS SDK calls (the functions and state machines run
 * with active tracing). Off outside Lambda, and wherever POWERTOOLS_TRACE_ENABLED=false, as in
 * the local stack: nothing there needs the X-Ray daemon.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dataio' });

/** The business metrics of this container, as CloudWatch EMF (namespace from POWERTOOLS_METRICS_NAMESPACE). */
export const metricsRecorder = new PowertoolsMetricsRecorder({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dataio' });

/** Adds the job's ids as X-Ray annotations, which traces can be searched by. */
export function annotateTrace(keys: LogKeys): void {
  if (!tracer.isTracingEnabled()) return;
  for (const name of ['job_id', 'organization', 'model'] as const) {
    const value = keys[name];
    if (typeof value === 'string' && value !== '') tracer.putAnnotation(name, value);
  }
}
