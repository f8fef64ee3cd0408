import { parse } from 'csv-parse/sync';
import { ValidationError } from '../../../layers/core/errors';
import { createExportJob } from '../../../layers/core/jobs/create-export-job';
import { fileKeys } from '../../../layers/core/jobs/file-keys';
import { previewExport } from '../../../layers/core/jobs/preview-export';
import { getJob, listJobs } from '../../../layers/core/jobs/read-jobs';
import { newJob } from '../../../layers/core/jobs/start-job';
import { defineResource } from '../../../layers/core/resources/define-resource';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { registerResource } from '../../../layers/core/resources/registry';
import { findDuplicateClaims, validateRows } from '../../../layers/core/resources/validate-rows';
import { customers, products, suppliers } from '../../../layers/erp/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';
import { createJobHarness } from '../../support/job-harness';
import { importRows, validationContext } from '../../support/validation-context';

const alice = { org: 'acme', user: 'alice', perms: ['*'] };
const IBAN = 'DE89370400440532013000';

describe('sensitive fields', () => {
  describe('in the generic resource', () => {
    it('are neither columns nor exportable on request, with a message that says why', () => {
      const resource = createGenericResource(customers);

      expect(resource.fields.map((rf) => rf.column)).not.toContain('tax_id');
      expect(() => resource.exportColumns({ fields: ['name', 'tax_id'] })).toThrow(ValidationError);
      expect(() => resource.exportColumns({ fields: ['name', 'tax_id'] })).toThrow("field 'tax_id' cannot be exported: it is sensitive");
    });
  });

  describe('in an export request', () => {
    it('answer 400 naming the field and its place, and create no job', async () => {
      const harness = createJobHarness();

      const exporting = createExportJob(harness.deps, { ...alice, model: 'customers', format: 'csv', fields: ['name', 'tax_id'] });

      await expect(exporting).rejects.toMatchObject({ name: 'ValidationError', message: "fields[1]: field 'tax_id' cannot be exported: it is sensitive", details: { path: 'fields[1]' } });
      expect((await harness.jobs.list('acme', { limit: 10 })).items).toEqual([]);
      expect(harness.workflow.started).toEqual([]);
    });

    it('answer 400 in a preview too', async () => {
      const harness = createJobHarness();

      await expect(previewExport(harness.deps, { ...alice, model: 'products', fields: ['sku', 'cost_price'] })).rejects.toThrow("fields[1]: field 'cost_price' cannot be exported: it is sensitive");
    });
  });

  describe('in a custom resource', () => {
    it.each([
      ['listed without opting in', { fields: ['name', 'bank_account'] }, /'bank_account' is sensitive and never in a file unless the resource lists it in allowSensitive/],
      ['opted into while not sensitive', { allowSensitive: ['name'] }, /allowSensitive names 'name', which is not a sensitive field/],
      ['opted into while unknown', { allowSensitive: ['iban'] }, /allowSensitive names unknown field 'iban'/],
    ])('refuse a resource with a sensitive field %s', (_case, options, message) => {
      expect(() => defineResource(suppliers, options)).toThrow(message);
    });

    it('hide sensitive values from computed columns unless the resource opts in', async () => {
      const peek = { dehydrate: (record: { values: Record<string, unknown> }) => String(record.values.cost_price ?? 'hidden') };
      const quiet = defineResource(products, { fields: ['sku'], computed: { peek } });
      const opted = defineResource(products, { fields: ['sku'], allowSensitive: ['cost_price'], computed: { peek } });
      const record = { id: 'p-1', values: { sku: 'A-1', cost_price: '7.50' }, meta: { created_at: '', updated_at: '' } };
      const ctx = { org: 'acme', store: new InMemoryRecordStore(), registry: createJobHarness().deps.models };

      expect(await quiet.exportRows([record], quiet.exportColumns(), ctx)).toEqual([['A-1', 'hidden']]);
      expect(await opted.exportRows([record], opted.exportColumns(), ctx)).toEqual([['A-1', '7.50']]);
    });

    it('put an opted-in field in the file, but never in the preview answer', async () => {
      registerResource(defineResource(suppliers, { fields: ['name', 'bank_account'], allowSensitive: ['bank_account'], importIdFields: ['name'] }));
      const harness = createJobHarness();
      await harness.seed('acme', 'suppliers', [{ id: 's-1', name: 'Acme Tools', bank_account: IBAN }]);

      const preview = await previewExport(harness.deps, { ...alice, model: 'suppliers' });
      const created = await createExportJob(harness.deps, { ...alice, model: 'suppliers', format: 'csv' });
      await harness.workflow.settle();
      const job = await getJob(harness.deps, alice, created.job_id);
      const file = parse(harness.files.text(fileKeys.exportOutput('acme', job.job_id, job.output_file!.filename))) as string[][];

      expect(preview).toEqual({ count: 1, columns: ['name', 'bank_account'], rows: [['Acme Tools', null]], ordering: [], redacted_columns: ['bank_account'] });
      expect(JSON.stringify(preview)).not.toContain(IBAN);
      expect(file).toEqual([['name', 'bank_account'], ['Acme Tools', IBAN]]);
    });
  });

  describe('in row errors (the API shows them)', () => {
    it('never carry the value of a sensitive field, in the value or the message', async () => {
      const resource = defineResource(products, { fields: ['sku', 'name', 'price', 'category', 'cost_price'], allowSensitive: ['cost_price'], importIdFields: ['sku'] });
      const ctx = validationContext(new InMemoryRecordStore(), resource, ['sku', 'name', 'price', 'category', 'cost_price']);

      const { errors } = await validateRows(ctx, importRows(['A-1', 'Hammer', 'not-a-price', 'c-1', 'secret-cost-99']));

      const cost = errors.find((e) => e.field === 'cost_price');
      const price = errors.find((e) => e.field === 'price');
      expect(cost).toMatchObject({ row: 2, column: 'cost_price', value: null, code: 'invalid' });
      expect(cost?.message).not.toContain('secret-cost-99');
      expect(cost?.message).toContain("'(sensitive value)' is not a decimal number");
      // Other fields keep their value: it helps the user fix the row.
      expect(price).toMatchObject({ value: 'not-a-price', message: expect.stringContaining("'not-a-price'") });
    });

    it('are shown by GET /data-jobs/{id} without sensitive values, whichever step stored them', async () => {
      const harness = createJobHarness();
      const job = newJob({ job_id: harness.deps.newId(), job_type: 'IMPORT', organization: 'acme', user: 'alice', model: 'suppliers', export_format: null, input_params: {}, input_file: null }, new Date());
      await harness.jobs.create(job);
      const rowErrors = [
        { row: 2, column: 'bank_account', field: 'bank_account', value: IBAN, code: 'unique', message: `"${IBAN}" is already used by row 1 of this file` },
        { row: 3, column: 'name', field: 'name', value: 'Acme', code: 'unique', message: '"Acme" is already used by row 2 of this file' },
      ];
      await harness.jobs.transition('acme', job.job_id, ['PENDING'], 'FAILED', { result_log: { totals: { rows: 2, new: 0, updated: 0, skipped: 0, errors: 2 }, row_errors: rowErrors, summary: { warnings: [] } } });

      const view = await getJob(harness.deps, alice, job.job_id);
      const listed = await listJobs(harness.deps, alice, { limit: 10 });

      expect(view.result_log?.row_errors).toEqual([
        { row: 2, column: 'bank_account', field: 'bank_account', value: null, code: 'unique', message: '"(sensitive value)" is already used by row 1 of this file' },
        rowErrors[1],
      ]);
      expect(JSON.stringify(listed)).not.toContain(IBAN);
    });

    it('report a duplicate value of a sensitive unique field without the value', () => {
      const errors = findDuplicateClaims(
        [
          { field: 'iban', value: IBAN, row: 2, sensitive: true },
          { field: 'iban', value: IBAN, row: 5, sensitive: true },
        ],
        () => 'iban',
      );

      expect(errors).toEqual([{ row: 5, column: 'iban', field: 'iban', value: null, code: 'unique', message: '(sensitive value) is already used by row 2 of this file' }]);
    });
  });
});
