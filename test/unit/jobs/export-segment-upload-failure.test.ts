import { exportSegment, planExport } from '../../../layers/core/jobs/export-workflow';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { newJob } from '../../../layers/core/jobs/start-job';
import { createJobHarness } from '../../support/job-harness';

describe('an export segment whose part upload fails', () => {
  it('fails instead of waiting forever for the stopped upload to drain', async () => {
    const harness = createJobHarness({ exportSegments: 1 });
    // Far more than a stream's 16 KB buffer, so the segment has to wait for the upload to read.
    await harness.seed(
      'acme',
      'customers',
      Array.from({ length: 2000 }, (_, i) => ({ id: `cust-${String(i).padStart(5, '0')}`, name: `Customer number ${i} with a longer name`, credit_limit: '100.00', active: true })),
    );
    const job = newJob(
      { job_id: harness.deps.newId(), job_type: 'EXPORT', organization: 'acme', user: 'alice', model: 'customers', export_format: 'csv', input_params: {}, input_file: null },
      new Date(),
    );
    await harness.jobs.create(job);
    const put = harness.files.put.bind(harness.files);
    harness.files.put = async (key, body, options) => {
      if (key !== fileKeys.exportPart('acme', job.job_id, 0)) return put(key, body, options);
      // Like S3 refusing the upload: nothing more is read from the body.
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new Error('S3 is down');
    };
    const planned = await planExport(harness.deps, { org: 'acme', job_id: job.job_id });

    await expect(exportSegment(harness.deps, { org: 'acme', job_id: job.job_id, segment: planned.segments[0]! })).rejects.toThrow('S3 is down');
  });
});
