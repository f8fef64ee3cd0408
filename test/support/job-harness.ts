import { DEFAULT_JOB_SETTINGS, type JobDeps, type JobSettings } from '../../layers/core/jobs/deps';
import { newUlid } from '../../layers/core/jobs/ids';
import { MeteredJobRepository } from '../../layers/core/jobs/job-metrics';
import type { ModelDefinition, RecordValues } from '../../layers/core/model/types';
import { erpRegistry } from '../../layers/erp';
import { packagedFonts } from '../../lambdas/shared/fonts';
import { InMemoryFileStore } from './in-memory-file-store';
import { InMemoryJobRepository } from './in-memory-job-repository';
import { InMemoryMetricsRecorder } from './in-memory-metrics';
import { InMemoryRecordStore } from './in-memory-record-store';
import { InProcessWorkflowEngine } from './in-process-workflows';

/** JobDeps on in-memory adapters with an in-process workflow engine. */
export function createJobHarness(settings: Partial<JobSettings> = {}, options: { eagerWorkflows?: boolean } = {}) {
  const records = new InMemoryRecordStore();
  const files = new InMemoryFileStore();
  const jobs = new InMemoryJobRepository();
  const workflow = new InProcessWorkflowEngine({ eager: options.eagerWorkflows });
  const metrics = new InMemoryMetricsRecorder();
  const deps: JobDeps = {
    // Metered as in the composition root, so every use case test also counts its jobs.
    jobs: new MeteredJobRepository(jobs, metrics),
    files,
    records,
    workflow,
    models: erpRegistry,
    fonts: packagedFonts,
    metrics,
    settings: { ...DEFAULT_JOB_SETTINGS, ...settings },
    now: () => new Date(),
    newId: () => newUlid(),
  };
  workflow.bind(deps);
  const seed = async (org: string, plural: string, rows: Array<{ id: string } & RecordValues>) => {
    const model: ModelDefinition = erpRegistry.require(plural);
    const at = new Date().toISOString();
    await records.write(
      org,
      model,
      rows.map(({ id, ...values }) => ({
        record: { id, values: Object.fromEntries(Object.keys(model.fields).map((name) => [name, values[name] ?? (model.fields[name]!.type === 'many_to_many' ? [] : null)])), meta: { created_at: at, updated_at: at } },
      })),
    );
  };
  return { deps, records, files, jobs, workflow, metrics, seed };
}
