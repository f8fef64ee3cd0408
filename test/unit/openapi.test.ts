/**
 * The OpenAPI document is valid OpenAPI 3.1, its schemas are valid JSON Schema 2020-12, and it
 * documents exactly the routes of the synthesized API — read the way the local stack's router
 * reads them — with the statuses the handlers return.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { optionsSchema, uploadBodySchema } from '../../lambdas/api/create-import';
import { bodySchema as uploadRequestSchema } from '../../lambdas/api/create-upload';
import { querySchema as listJobsQuerySchema } from '../../lambdas/api/list-jobs';
import { bodySchema as previewRequestSchema } from '../../lambdas/api/preview-export';
import { handler as openApiHandler } from '../../lambdas/api/openapi';
import { exportBodySchema } from '../../lambdas/shared/export-body';
import { OPENAPI_PATH, openApiDocument, PERMISSION_EXTENSION } from '../../lambdas/shared/openapi';
import { FILTER_OPERATORS } from '../../layers/core/filters/filter-tree';
import { erpRegistry } from '../../layers/erp';
import { buildLocalModel, type LocalModel } from '../../lib/local/local-model';
import { REPO_ROOT } from '../../lib/local/synth';
import type { CfnTemplate } from '../../lib/local/template-resolver';
import { synthDataio } from '../cdk/synth-dataio';
import { componentValidator, newAjv2020 } from '../support/openapi-ajv';
import { Random, randomFilterJson } from '../support/random-filters';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * `SwaggerParser.validate` on a document, in a child Node process: swagger-parser loads
 * json-schema-ref-parser, an ES module, which Node requires natively and Jest cannot.
 */
function swaggerParserValidate(document: unknown): { valid: boolean; message: string } {
  const script = `require('@apidevtools/swagger-parser').validate(JSON.parse(require('fs').readFileSync(0, 'utf8')))
    .then(() => process.stdout.write('valid'), (error) => process.stdout.write(error.message))`;
  const result = spawnSync(process.execPath, ['--no-warnings', '-e', script], { cwd: REPO_ROOT, input: JSON.stringify(document), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`swagger-parser did not run: ${result.stderr}`);
  return { valid: result.stdout === 'valid', message: result.stdout };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const withoutTrailingSlash = (p: string) => (p.length > 1 ? p.replace(/\/$/, '') : p);

function operations(doc: Json): Array<{ path: string; method: string; op: Json }> {
  return Object.entries(doc.paths as Json).flatMap(([p, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path: p, method, op: item[method] as Json })),
  );
}

describe('the OpenAPI document', () => {
  const doc = openApiDocument() as Json;
  let model: LocalModel;

  beforeAll(() => {
    // One synth for the suite, bundling skipped like the other CDK tests.
    const { storage, service } = synthDataio();
    model = buildLocalModel([
      { stackName: 'DataioStorage', template: storage.toJSON() as CfnTemplate },
      { stackName: 'DataioService', template: service.toJSON() as CfnTemplate },
    ]);
  }, 60_000);

  it('is valid OpenAPI 3.1 (swagger-parser: the 3.1 meta-schema, every $ref resolved)', () => {
    expect(swaggerParserValidate(doc)).toEqual({ valid: true, message: 'valid' });
    expect(doc.openapi).toBe('3.1.0');
  });

  it('is rejected by that validator when broken, so the check above can fail', () => {
    const broken = structuredClone(doc);
    broken.paths['/api/v1/data-jobs/'].get.responses = 'none';
    expect(swaggerParserValidate(broken).message).toMatch(/responses/);
    const dangling = structuredClone(doc);
    dangling.paths['/api/v1/data-jobs/'].get.responses[200].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    expect(swaggerParserValidate(dangling).message).toMatch(/Nope/);
  });

  it('has schemas that are valid JSON Schema 2020-12 (which swagger-parser does not check in 3.1)', () => {
    const ajv = newAjv2020();
    for (const [name, schema] of Object.entries(doc.components.schemas as Json)) {
      expect({ name, valid: ajv.validateSchema(schema), errors: ajv.errors ?? null }).toEqual({ name, valid: true, errors: null });
    }
    expect(ajv.validateSchema({ type: 'objekt' })).toBe(false);
  });

  describe('against the routes of the synthesized API', () => {
    const templateRoutes = () =>
      model.api.routes.filter((r) => r.method !== 'OPTIONS').map((r) => `${r.method} ${r.pathTemplate}`).sort();
    const documentedRoutes = () => operations(doc).map(({ path: p, method }) => `${method.toUpperCase()} ${withoutTrailingSlash(p)}`).sort();

    it('documents every route, and only routes that exist, with the same methods', () => {
      expect(templateRoutes().length).toBeGreaterThanOrEqual(9);
      expect(documentedRoutes()).toEqual(templateRoutes());
    });

    it('needs a bearer token exactly where the API runs the authorizer', () => {
      const publicInDoc = operations(doc).filter(({ op }) => Array.isArray(op.security) && op.security.length === 0);
      const publicInApi = model.api.routes.filter((r) => r.method !== 'OPTIONS' && r.authorizationType !== 'CUSTOM');
      expect(publicInDoc.map(({ path: p, method }) => `${method.toUpperCase()} ${p}`)).toEqual(publicInApi.map((r) => `${r.method} ${r.pathTemplate}`));
      expect(publicInDoc.map(({ path: p }) => p)).toEqual([OPENAPI_PATH]);
      expect(doc.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    });

    it('documents the success statuses each handler returns', () => {
      for (const { path: p, method, op } of operations(doc)) {
        const route = model.api.routes.find((r) => r.method === method.toUpperCase() && r.pathTemplate === withoutTrailingSlash(p));
        const handlerFile = model.functions.get(route!.functionLogicalId!)!.handlerPath;
        const source = readFileSync(path.join(REPO_ROOT, handlerFile), 'utf8');
        const returned = [...new Set([...source.matchAll(/statusCode: (\d{3})\b/g)].map((m) => m[1]))].sort();
        const documented = Object.keys(op.responses).filter((s) => s.startsWith('2')).sort();
        expect({ route: `${method} ${p}`, handlerFile, documented }).toEqual({ route: `${method} ${p}`, handlerFile, documented: returned });
      }
    });
  });

  it('declares every path parameter, and takes the model names of the app', () => {
    const parameter = (p: Json): Json => (p.$ref ? doc.components.parameters[p.$ref.split('/').pop()] : p);
    for (const { path: p, op } of operations(doc)) {
      const declared = ((op.parameters ?? []) as Json[]).map(parameter).filter((x) => x.in === 'path').map((x) => x.name).sort();
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect({ path: p, params: declared }).toEqual({ path: p, params: inPath });
    }
    expect(doc.components.parameters.ModelPlural.schema.enum).toEqual(erpRegistry.all().map((m) => m.plural));
  });

  it('names a unique operationId and the required permission of every operation', () => {
    const ops = operations(doc);
    expect(new Set(ops.map(({ op }) => op.operationId)).size).toBe(ops.length);
    const permissions = Object.fromEntries(ops.map(({ op }) => [op.operationId, op[PERMISSION_EXTENSION]]));
    expect(permissions).toEqual({
      createExport: '{model_plural}:export',
      previewExport: '{model_plural}:export',
      listReports: '{model_plural}:export',
      createImport: '{model_plural}:import',
      createUpload: '{model_plural}:import',
      listJobs: 'data-jobs:read',
      getJob: 'data-jobs:read',
      cancelJob: 'data-jobs:read',
      getOpenApiDocument: null,
    });
    for (const { op } of ops) {
      if (op[PERMISSION_EXTENSION]) {
        expect(op.description).toContain(`\`${op[PERMISSION_EXTENSION]}\``);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '500']));
      }
    }
  });

  it('generates the request bodies from the schemas the handlers validate with', () => {
    const { schemas } = doc.components;
    const fields = (schema: z.ZodObject) => Object.keys(schema.shape).sort();
    expect(Object.keys(schemas.ExportRequest.properties).sort()).toEqual(fields(exportBodySchema));
    expect(Object.keys(schemas.PreviewRequest.properties).sort()).toEqual(fields(previewRequestSchema));
    expect(Object.keys(schemas.UploadRequest.properties).sort()).toEqual(fields(uploadRequestSchema));
    expect(Object.keys(schemas.ImportOptions.properties).sort()).toEqual(fields(optionsSchema));
    expect(Object.keys(schemas.ImportFromUploadRequest.properties).sort()).toEqual(fields(uploadBodySchema));
    expect(schemas.ImportFromUploadRequest.required).toEqual(['upload_id']);
    expect(schemas.UploadRequest.required).toEqual(['filename']);
    const listJobs = doc.paths['/api/v1/data-jobs/'].get.parameters as Json[];
    expect(listJobs.map((p) => p.name).sort()).toEqual(fields(listJobsQuerySchema));
    const importOp = doc.paths['/api/v1/{model_plural}/import/'].post;
    expect(Object.keys(importOp.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(importOp.requestBody.content['multipart/form-data'].schema.required).toEqual(['file']);
  });

  describe('schemas, checked with Ajv on data', () => {
    const validate = componentValidator(doc as { components: unknown });

    it('accept every filter of the filter-language property test, and refuse unknown operators', () => {
      for (let seed = 1; seed <= 100; seed++) expect(validate('FilterTree', randomFilterJson(new Random(seed)))).toEqual([]);
      expect(validate('FilterTree', { field: 'price', op: 'nearly', value: 1 })).not.toEqual([]);
      expect(validate('FilterTree', { and: [{ field: 'price', op: 'gt', value: 1 }], extra: 1 })).not.toEqual([]);
      expect(doc.components.schemas.FilterCondition.properties.op.enum).toEqual([...FILTER_OPERATORS]);
    });

    it('describe a finished import job, and refuse one with a field the API never sends', () => {
      const job = {
        job_id: '01kb0w8k1x7ez3n2m4c5q6r7s8', job_type: 'IMPORT', status: 'COMPLETED', model: 'contacts', export_format: null,
        organization: 'acme', user: 'alice', input_params: { dry_run: false, skip_errors: true },
        input_file: { filename: 'contacts.csv', size: 512, content_type: 'text/csv' }, output_file: null,
        progress: { rows_processed: 6, rows_total: 6, chunks_done: 1, chunks_total: 1 },
        result_log: {
          totals: { rows: 6, new: 2, updated: 0, skipped: 0, errors: 4 },
          row_errors: [{ row: 3, column: 'customer_id', field: 'customer', value: 'cust-9999', code: 'not_found', message: "customers 'cust-9999' not found" }],
          summary: { warnings: [{ code: 'unmapped_columns', columns: ['customer_name'], message: 'ignored' }], dry_run: false, skip_errors: true, committed: true },
          error_report: { filename: 'contacts-errors.csv', size: 312, content_type: 'text/csv', rows: 4, download_url: 'https://s3/x', expires_at: '2026-11-26T11:15:00.000Z' },
        },
        execution_id: 'arn:aws:states:us-east-1:000000000000:execution:import:01kb', created_at: '2026-11-26T11:00:00.000Z',
        updated_at: '2026-11-26T11:00:02.000Z', started_at: '2026-11-26T11:00:00.500Z', finished_at: '2026-11-26T11:00:02.000Z',
      };
      expect(validate('DataJob', job)).toEqual([]);
      expect(validate('DataJob', { ...job, key: 'imports/acme/x.csv' })).not.toEqual([]);
      expect(validate('DataJob', { ...job, status: 'DONE' })).not.toEqual([]);
      expect(validate('ErrorBody', { error: { code: 'not_found', message: 'Route not found', details: null } })).toEqual([]);
    });
  });

  it('is served by the openapi handler as JSON, without a caller', async () => {
    const response = await openApiHandler();

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual(doc);
  });
});
