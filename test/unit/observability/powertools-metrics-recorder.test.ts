import { PowertoolsMetricsRecorder } from '../../../layers/aws/powertools-metrics-recorder';
import { captureOutput } from '../../support/captured-output';

describe('PowertoolsMetricsRecorder', () => {
  let output: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
    delete process.env.POWERTOOLS_METRICS_DISABLED;
  });

  it('writes one EMF document per call, with the namespace, the service and the given dimensions', () => {
    const recorder = new PowertoolsMetricsRecorder({ namespace: 'Dataio', serviceName: 'dataio' });

    recorder.record({ JobsCompleted: 1, RowsImported: 250, JobDurationMs: 1234 }, { job_type: 'IMPORT', model: 'contacts' });
    recorder.record({ StuckJobsSwept: 0 });

    const [job, sweep] = output.lines();
    expect(output.lines()).toHaveLength(2);
    expect(job).toMatchObject({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'Dataio',
            Dimensions: [['service', 'job_type', 'model']],
            Metrics: expect.arrayContaining([
              { Name: 'JobsCompleted', Unit: 'Count' },
              { Name: 'RowsImported', Unit: 'Count' },
              { Name: 'JobDurationMs', Unit: 'Milliseconds' },
            ]),
          },
        ],
      },
      service: 'dataio',
      job_type: 'IMPORT',
      model: 'contacts',
      JobsCompleted: 1,
      RowsImported: 250,
      JobDurationMs: 1234,
    });
    // The next document does not inherit the previous dimensions.
    expect(sweep).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'Dataio', Dimensions: [['service']], Metrics: [{ Name: 'StuckJobsSwept', Unit: 'Count' }] }] }, StuckJobsSwept: 0 });
    expect(sweep).not.toHaveProperty('job_type');
  });

  it('writes nothing for no values, and nothing when POWERTOOLS_METRICS_DISABLED is set (the local stack)', () => {
    new PowertoolsMetricsRecorder({ namespace: 'Dataio', serviceName: 'dataio' }).record({});
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    new PowertoolsMetricsRecorder({ namespace: 'Dataio', serviceName: 'dataio' }).record({ JobsStarted: 1 }, { job_type: 'EXPORT', model: 'tags' });

    expect(output.lines()).toEqual([]);
  });

  it('never throws for its caller, and a failed document leaves nothing behind for the next', () => {
    const recorder = new PowertoolsMetricsRecorder({ namespace: 'Dataio', serviceName: 'dataio' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Powertools refuses a dimension named like a metric of the same document.
    expect(() => recorder.record({ JobsStarted: 1 }, { JobsStarted: 'x' })).not.toThrow();
    recorder.record({ JobsFailed: 1 }, { job_type: 'IMPORT', model: 'tags' });

    const lines = output.lines();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(warn.mock.calls[0]![0]))).toMatchObject({ level: 'WARN', message: 'metrics not recorded', error: expect.stringContaining('JobsStarted') });
    warn.mockRestore();
    expect(lines.filter((l) => '_aws' in l)).toEqual([expect.objectContaining({ JobsFailed: 1, job_type: 'IMPORT', model: 'tags' })]);
    expect(lines.find((l) => '_aws' in l)).not.toHaveProperty('JobsStarted');
  });
});
