import { createImportJob } from '../../../layers/core/jobs/create-import-job';
import type { StoredRecord } from '../../../layers/core/model/types';
import { erpRegistry } from '../../../layers/erp';
import { createJobHarness } from '../../support/job-harness';

type Harness = ReturnType<typeof createJobHarness>;

async function importCsv(harness: Harness, user: string, model: string, csv: string): Promise<string> {
  const job = await createImportJob(harness.deps, {
    org: 'acme',
    user,
    perms: ['*'],
    model,
    file: { filename: `${model}.csv`, contentType: 'text/csv', body: Buffer.from(csv) },
    dryRun: false,
    skipErrors: false,
  });
  await harness.workflow.settle();
  expect((await harness.jobs.get('acme', job.job_id))?.status).toBe('COMPLETED');
  return job.job_id;
}

async function stored(harness: Harness, plural: string): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  for await (const page of harness.records.scan('acme', erpRegistry.require(plural), { segment: 0, totalSegments: 1 })) records.push(...page);
  return records;
}

describe('records written by an import', () => {
  it('carry who created and last updated them and the job that wrote them, related records created by a lookup included', async () => {
    const harness = createJobHarness();
    await harness.seed('acme', 'categories', [{ id: 'cat-1', code: 'TOOLS', name: 'Tools' }]);

    const first = await importCsv(harness, 'alice', 'products', 'sku,name,price,category,tags\nA-1,Hammer,9.50,TOOLS,steel\n');
    const second = await importCsv(harness, 'bob', 'products', 'sku,name,price,category\nA-1,Claw hammer,9.50,TOOLS\nB-2,Saw,19.00,TOOLS\n');

    const products = await stored(harness, 'products');
    const hammer = products.find((p) => p.values.sku === 'A-1');
    const saw = products.find((p) => p.values.sku === 'B-2');
    const [steel] = await stored(harness, 'tags');
    expect(hammer?.meta).toMatchObject({ created_by: 'alice', updated_by: 'bob', job_id: second });
    expect(saw?.meta).toMatchObject({ created_by: 'bob', updated_by: 'bob', job_id: second });
    expect(steel?.values.name).toBe('steel');
    expect(steel?.meta).toMatchObject({ created_by: 'alice', updated_by: 'alice', job_id: first });
  });
});
