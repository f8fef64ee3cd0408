/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas the handlers validate
 * requests with (`io: 'input'`: what a client may send) and the response schemas of
 * `api-schemas.ts` (`io: 'output'`: what the API answers). OpenAPI 3.1 schema objects are JSON
 * Schema 2020-12, which is zod's default target, so the generated schemas are used as they are.
 */
import { z } from 'zod';
import { FILTER_LIMITS } from '../../layers/core/filters/filter-tree';
import { erpRegistry } from '../../layers/erp';
import { optionsSchema as importOptionsSchema, uploadBodySchema as importUploadBodySchema } from '../api/create-import';
import { bodySchema as uploadRequestSchema } from '../api/create-upload';
import { querySchema as listJobsQuerySchema } from '../api/list-jobs';
import { bodySchema as previewRequestSchema } from '../api/preview-export';
import {
  dataJobSchema,
  errorBodySchema,
  exportPreviewSchema,
  filterConditionSchema,
  filterTreeSchema,
  jobAcceptedSchema,
  jobFileSchema,
  jobInputParamsSchema,
  jobListSchema,
  jobProgressSchema,
  jobStatusSchema,
  jobTotalsSchema,
  jobWarningSchema,
  reportListSchema,
  resultLogSchema,
  rowErrorSchema,
  uploadTicketSchema,
} from './api-schemas';
import { exportBodySchema } from './export-body';

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

/** Operation extension naming the permission the token must grant (`{model_plural}` is the path's model). */
export const PERMISSION_EXTENSION = 'x-dataio-permission';

/** Where the document is served; it documents itself too. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Request bodies and query options, as clients send them. */
const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  ExportRequest: exportBodySchema,
  PreviewRequest: previewRequestSchema,
  UploadRequest: uploadRequestSchema,
  ImportOptions: importOptionsSchema,
  ImportFromUploadRequest: importUploadBodySchema,
};

/** Answers, and the types they are made of (each becomes a named component). */
const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  DataJob: dataJobSchema,
  JobStatus: jobStatusSchema,
  JobFile: jobFileSchema,
  JobInputParams: jobInputParamsSchema,
  JobProgress: jobProgressSchema,
  ResultLog: resultLogSchema,
  JobTotals: jobTotalsSchema,
  RowError: rowErrorSchema,
  JobWarning: jobWarningSchema,
  JobAccepted: jobAcceptedSchema,
  JobList: jobListSchema,
  UploadTicket: uploadTicketSchema,
  ReportList: reportListSchema,
  ExportPreview: exportPreviewSchema,
  ErrorBody: errorBodySchema,
  FilterTree: filterTreeSchema,
  FilterCondition: filterConditionSchema,
};

const FORMAT_DOC = { enum: ['csv', 'xlsx', 'pdf'], description: 'export file format' };
const ORDERING_DOC = {
  type: 'array',
  items: { type: 'string', pattern: '^-?[^-].*$' },
  description: 'field names, a leading - for descending, e.g. ["-price", "sku"]; ties are broken by id',
};

/**
 * What the generated request schemas cannot say (filters and ordering are `unknown` to zod: the use
 * case checks them against the model), and what each field means. A key that the schema does not
 * have throws, so this table cannot drift from the handlers unnoticed.
 */
const REQUEST_FIELD_DOCS: Record<string, Record<string, JsonSchema>> = {
  ExportRequest: {
    format: FORMAT_DOC,
    filters: { ...ref('FilterTree'), description: `filter tree (docs/filters.md); at most ${FILTER_LIMITS.maxConditions} conditions, ${FILTER_LIMITS.maxDepth} levels` },
    ordering: ORDERING_DOC,
    fields: { description: 'the columns to write, in order (column names of the model resource)' },
    report: { description: 'PDF only: a report of GET .../export/reports/; the generic table report when absent' },
  },
  PreviewRequest: {
    format: { ...FORMAT_DOC, description: 'only checked: a preview has no file' },
    filters: { ...ref('FilterTree'), description: 'as for the export' },
    ordering: ORDERING_DOC,
    fields: { description: 'as for the export' },
    report: { description: 'as for the export (checked only)' },
    limit: { default: 20, description: 'rows to return' },
  },
  UploadRequest: {
    filename: { description: 'its extension decides the format: .csv, .txt, .tsv or .xlsx' },
    content_type: { description: "the Content-Type the PUT will carry; the format's own type when absent" },
    size: { description: "the file's exact size in bytes: checked against MAX_UPLOAD_BYTES now and signed into the URL (S3 refuses another length, and the import checks it)" },
  },
  ImportOptions: {
    dry_run: { default: false, description: 'validate and report, write nothing (true/false, 1/0, yes/no, on/off in forms)' },
    skip_errors: { default: false, description: 'write the valid rows even when some rows fail' },
    skip_unchanged: { description: "count rows equal to the stored record as skipped; default: the resource's setting" },
    encoding: { default: 'utf-8', description: 'CSV text encoding (WHATWG label), e.g. windows-1252' },
    delimiter: { enum: [',', ';', '\t', 'tab', 'comma', 'semicolon'], description: 'CSV delimiter; detected from the header line when absent' },
    sheet: { description: 'XLSX sheet name; the first sheet when absent' },
  },
  ImportFromUploadRequest: {
    upload_id: { description: 'the upload_id of POST .../import/uploads/, after the file was PUT to its url' },
  },
};

/** The API's models, as the `{model_plural}` path parameter takes them. */
function modelNames(): string[] {
  return erpRegistry.all().map((model) => model.plural);
}

/** JSON Schema of a registry of zod schemas, with refs between them pointing into components. */
function componentSchemas(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: generated } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    uri: (id) => `#/components/schemas/${id}`,
    // Refinements and transforms (flags as text, delimiter names) keep their input type.
    unrepresentable: 'throw',
  });
  return Object.fromEntries(
    Object.entries(generated).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

function documentFields(components: Record<string, JsonSchema>): void {
  for (const [component, fields] of Object.entries(REQUEST_FIELD_DOCS)) {
    const properties = components[component]?.properties as Record<string, JsonSchema> | undefined;
    for (const [field, doc] of Object.entries(fields)) {
      if (!properties?.[field]) throw new Error(`OpenAPI: ${component} has no field '${field}' to document`);
      // A $ref replaces what zod could say (`unknown`); anything else adds to it.
      properties[field] = '$ref' in doc ? { ...doc } : { ...properties[field], ...doc };
    }
  }
}

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

function errorResponse(description: string): JsonSchema {
  return { description, content: json(ref('ErrorBody')) };
}

/** Errors every authenticated operation can answer. */
const COMMON_ERRORS = {
  401: { $ref: '#/components/responses/Unauthorized' },
  429: { $ref: '#/components/responses/TooManyRequests' },
  500: { $ref: '#/components/responses/InternalError' },
};

const modelParameter = { $ref: '#/components/parameters/ModelPlural' };
const jobIdParameter = { $ref: '#/components/parameters/JobId' };

function operation(spec: {
  id: string;
  tag: string;
  summary: string;
  description: string;
  permission: string | null;
  parameters?: unknown[];
  requestBody?: JsonSchema;
  responses: Record<number, JsonSchema>;
}): Operation {
  return {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    description: spec.permission ? `${spec.description}\n\nRequires the permission \`${spec.permission}\`.` : spec.description,
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
    responses: spec.permission ? { ...spec.responses, ...COMMON_ERRORS } : spec.responses,
    ...(spec.permission ? {} : { security: [] }),
    [PERMISSION_EXTENSION]: spec.permission,
  };
}

/** Query parameters from the properties of a generated object schema. */
function queryParameters(schema: JsonSchema): JsonSchema[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, JsonSchema>).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

function paths(schemas: Record<string, JsonSchema>): Record<string, Record<string, Operation>> {
  const importOptions = schemas.ImportOptions!;
  return {
    '/api/v1/{model_plural}/export/': {
      post: operation({
        id: 'createExport',
        tag: 'exports',
        summary: 'Start an export',
        description:
          'Starts an asynchronous export of the records the filter selects, as CSV, XLSX or a PDF report. The format, filter, ordering, fields and report are checked before a job is created: a bad one is a 400 naming its path (`details.path`) and no job exists. Poll GET /api/v1/data-jobs/{job_id}/ for the result and its download URL.',
        permission: '{model_plural}:export',
        parameters: [modelParameter],
        requestBody: { required: false, content: json(ref('ExportRequest')) },
        responses: {
          202: { description: 'job created and queued', content: json(ref('JobAccepted')) },
          400: errorResponse('malformed body, unsupported format, bad filter, ordering, fields or report'),
          403: errorResponse('the token lacks `{model_plural}:export`'),
          404: errorResponse('unknown model'),
        },
      }),
    },
    '/api/v1/{model_plural}/export/preview/': {
      post: operation({
        id: 'previewExport',
        tag: 'exports',
        summary: 'Preview an export',
        description:
          "What an export with the same body would write: the row count, the header and the first rows, answered at once without a job. It reads the model's records while the request waits; one that cannot finish within API Gateway's 29 s answers 504.",
        permission: '{model_plural}:export',
        parameters: [modelParameter],
        requestBody: { required: false, content: json(ref('PreviewRequest')) },
        responses: {
          200: { description: 'the preview', content: json(ref('ExportPreview')) },
          400: errorResponse('malformed body, bad filter, ordering, fields, format, report or limit'),
          403: errorResponse('the token lacks `{model_plural}:export`'),
          404: errorResponse('unknown model'),
          504: errorResponse('the preview did not finish within 29 s: start the export instead'),
        },
      }),
    },
    '/api/v1/{model_plural}/export/reports/': {
      get: operation({
        id: 'listReports',
        tag: 'exports',
        summary: "List a model's PDF reports",
        description: 'The registered PDF reports of a model, by name; `{"items": []}` for a model without reports (its PDF export is the generic table report).',
        permission: '{model_plural}:export',
        parameters: [modelParameter],
        responses: {
          200: { description: 'the reports', content: json(ref('ReportList')) },
          403: errorResponse('the token lacks `{model_plural}:export`'),
          404: errorResponse('unknown model'),
        },
      }),
    },
    '/api/v1/{model_plural}/import/': {
      post: operation({
        id: 'createImport',
        tag: 'imports',
        summary: 'Start an import',
        description:
          'Starts an asynchronous import of a CSV or XLSX file: either sent in a multipart form (field `file`, at most `MAX_DIRECT_UPLOAD_BYTES`, 4 MB by default), or uploaded before with POST .../import/uploads/ and named by `upload_id` in a JSON body. The options may also be given as query parameters; body fields win.',
        permission: '{model_plural}:import',
        parameters: [modelParameter, ...queryParameters(importOptions)],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                properties: { file: { type: 'string', contentMediaType: 'application/octet-stream', description: '.csv, .txt, .tsv or .xlsx' }, ...(importOptions.properties as JsonSchema) },
                required: ['file'],
              },
            },
            'application/json': { schema: ref('ImportFromUploadRequest') },
          },
        },
        responses: {
          202: { description: 'job created and queued', content: json(ref('JobAccepted')) },
          400: errorResponse('bad option, no file part, unsupported file type, empty or too large file, malformed upload_id, nothing PUT yet, a size other than the one announced, or an upload made for another model'),
          403: errorResponse('the token lacks `{model_plural}:import`'),
          404: errorResponse("unknown model, or no such upload of the caller's (another user's upload is not found either)"),
          413: errorResponse('the request is larger than API Gateway accepts (10 MB): use a presigned upload'),
        },
      }),
    },
    '/api/v1/{model_plural}/import/uploads/': {
      post: operation({
        id: 'createUpload',
        tag: 'imports',
        summary: 'Prepare a presigned upload',
        description:
          'Signs a PUT of an import file straight to S3, for files too large for the multipart route. PUT the bytes to `url` with exactly `headers` (Content-Type, and Content-Length when `size` was given) before `expires_at`, then POST .../import/ with `{"upload_id"}`. Only the user who asked for the upload can import it.',
        permission: '{model_plural}:import',
        parameters: [modelParameter],
        requestBody: { required: true, content: json(ref('UploadRequest')) },
        responses: {
          201: { description: 'where and how to PUT the file', content: json(ref('UploadTicket')) },
          400: errorResponse('malformed body, unsupported file type or content type, size over MAX_UPLOAD_BYTES'),
          403: errorResponse('the token lacks `{model_plural}:import`'),
          404: errorResponse('unknown model'),
        },
      }),
    },
    '/api/v1/data-jobs/': {
      get: operation({
        id: 'listJobs',
        tag: 'data-jobs',
        summary: 'List jobs',
        description: "The caller's jobs, newest first; every job of the organization for `data-jobs:admin` (which implies `data-jobs:read`). Items carry no download URLs: GET the job for them.",
        permission: 'data-jobs:read',
        parameters: queryParameters(componentSchemas({ ListJobsQuery: listJobsQuerySchema }, 'input').ListJobsQuery!),
        responses: {
          200: { description: 'a page of jobs', content: json(ref('JobList')) },
          400: errorResponse('bad limit or cursor'),
          403: errorResponse('the token lacks `data-jobs:read`'),
        },
      }),
    },
    '/api/v1/data-jobs/{job_id}/': {
      get: operation({
        id: 'getJob',
        tag: 'data-jobs',
        summary: 'Get a job',
        description:
          "A job's status, progress and result log, with fresh presigned download URLs for its output and error report when the caller also holds the permission that produced them (`{model}:export` for an export's file, `{model}:import` for an import's error report); without it the files are listed without URLs.",
        permission: 'data-jobs:read',
        parameters: [jobIdParameter],
        responses: {
          200: { description: 'the job', content: json(ref('DataJob')) },
          403: errorResponse('the token lacks `data-jobs:read`'),
          404: errorResponse("no such job in the caller's organization, or another user's job and the caller is not `data-jobs:admin`"),
        },
      }),
    },
    '/api/v1/data-jobs/{job_id}/cancel/': {
      post: operation({
        id: 'cancelJob',
        tag: 'data-jobs',
        summary: 'Cancel a job',
        description:
          'Marks an open job (PENDING, QUEUED or RUNNING) CANCELLED and stops its execution; rows not yet written are never written. Callers with `data-jobs:read` cancel their own jobs, `data-jobs:admin` any job of the organization.',
        permission: 'data-jobs:read',
        parameters: [jobIdParameter],
        responses: {
          200: { description: 'the job, now CANCELLED', content: json(ref('DataJob')) },
          403: errorResponse('the token has neither `data-jobs:read` nor `data-jobs:admin`'),
          404: errorResponse('no such job visible to the caller'),
          409: errorResponse('the job already ended (`job_transition`)'),
        },
      }),
    },
    [OPENAPI_PATH]: {
      get: operation({
        id: 'getOpenApiDocument',
        tag: 'docs',
        summary: 'This document',
        description: 'The OpenAPI 3.1 document of this API. It needs no token: it describes the API, not any data.',
        permission: null,
        responses: { 200: { description: 'the OpenAPI document', content: json({ type: 'object' }) } },
      }),
    },
  };
}

let cached: JsonSchema | undefined;

/** The OpenAPI 3.1 document of the dataio REST API (built once, then shared). */
export function openApiDocument(): JsonSchema {
  cached ??= buildDocument();
  return cached;
}

function buildDocument(): JsonSchema {
  const requests = componentSchemas(REQUEST_SCHEMAS, 'input');
  const responses = componentSchemas(RESPONSE_SCHEMAS, 'output');
  documentFields(requests);
  const schemas = { ...responses, ...requests };
  return {
    openapi: '3.1.0',
    info: {
      title: 'dataio API',
      version: '1',
      description:
        'Bulk import and export of business records as asynchronous DataJobs, scoped to the organization of the bearer token. A trailing slash is optional on every path. Every answer is JSON; errors are `{"error": {"code", "message", "details"}}`. Human documentation: docs/api.md.',
    },
    // Relative to this document (/api/v1/openapi.json): the API root, with the stage prefix when deployed.
    servers: [{ url: '../..', description: 'the API this document was served from' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'exports', description: 'CSV, XLSX and PDF exports, previews and reports' },
      { name: 'imports', description: 'CSV and XLSX imports and presigned uploads' },
      { name: 'data-jobs', description: 'the jobs that exports and imports run as' },
      { name: 'docs', description: 'this document' },
    ],
    paths: paths(schemas),
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'HS256 JWT with claims sub (user), org (organization slug), perms (array or space-separated string), iss, aud, exp. Permissions: `<model>:import`, `<model>:export`, `<model>:*`, `data-jobs:read`, `data-jobs:admin`, `*`.',
        },
      },
      parameters: {
        ModelPlural: { name: 'model_plural', in: 'path', required: true, description: 'plural model name', schema: { type: 'string', enum: modelNames() } },
        JobId: { name: 'job_id', in: 'path', required: true, description: 'the job_id a create answered with', schema: { type: 'string' } },
      },
      responses: {
        Unauthorized: errorResponse('no token, bad signature, wrong algorithm, expired, wrong issuer or audience (`unauthorized`)'),
        TooManyRequests: errorResponse('the stage throttling limit was hit; retry with backoff'),
        InternalError: errorResponse('a bug (`internal_error`); details are in the logs, never in the answer'),
      },
      schemas,
    },
  };
}
