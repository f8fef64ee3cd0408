import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobDeps } from '../../layers/core/jobs/deps';
import { newUlid } from '../../layers/core/jobs/ids';
import { MeteredJobRepository } from '../../layers/core/jobs/job-metrics';
import { DynamoDbJobRepository } from '../../layers/aws/dynamodb-job-repository';
import { DynamoDbRecordStore } from '../../layers/aws/dynamodb-record-store';
import { S3FileStore } from '../../layers/aws/s3-file-store';
import { StepFunctionsWorkflowEngine } from '../../layers/aws/sfn-workflow-engine';
import { erpRegistry } from '../../layers/erp';
import { readEnv, requireSetting, type Env } from './env';
import { packagedFonts } from './fonts';
import { LogTaggingJobRepository } from './log-tagging-job-repository';
import { metricsRecorder, tracer } from './observability';

/**
 * The composition root: adapters are built on first use and kept for the life of the Lambda
 * container. Getters are lazy so a function only needs the settings of the adapters it uses.
 */
export function createDeps(env: Env = readEnv()): JobDeps {
  let dynamo: DynamoDBDocumentClient | undefined;
  let s3: S3Client | undefined;
  const documentClient = () =>
    (dynamo ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: { wrapNumbers: true },
    }));
  // Checksums only when required: S3-compatible local servers store streamed uploads with the
  // checksum framing otherwise; AWS accepts this setting as well.
  const s3Client = () =>
    (s3 ??= tracer.captureAWSv3Client(
      new S3Client({
        forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    ));
  const lazy = <T>(build: () => T) => {
    let value: T | undefined;
    return () => (value ??= build());
  };
  // Metered where a job's status changes; tagging the log lines with the job it touches.
  const jobs = lazy(
    () =>
      new LogTaggingJobRepository(
        new MeteredJobRepository(new DynamoDbJobRepository({ client: documentClient(), tableName: requireSetting(env, 'JOBS_TABLE_NAME'), ttlDays: env.JOB_TTL_DAYS }), metricsRecorder),
      ),
  );
  const records = lazy(() => new DynamoDbRecordStore({ client: documentClient(), tableName: requireSetting(env, 'RECORDS_TABLE_NAME') }));
  const files = lazy(() => new S3FileStore({ client: s3Client(), bucket: requireSetting(env, 'FILES_BUCKET_NAME') }));
  const workflow = lazy(
    () =>
      new StepFunctionsWorkflowEngine({
        client: tracer.captureAWSv3Client(new SFNClient({})),
        stateMachineArns: { import: env.IMPORT_STATE_MACHINE_ARN, export: env.EXPORT_STATE_MACHINE_ARN },
      }),
  );
  return {
    get jobs() {
      return jobs();
    },
    get records() {
      return records();
    },
    get files() {
      return files();
    },
    get workflow() {
      return workflow();
    },
    models: erpRegistry,
    fonts: packagedFonts,
    metrics: metricsRecorder,
    settings: {
      importChunkRows: env.IMPORT_CHUNK_ROWS,
      validateBatchRows: 500,
      exportSegments: env.EXPORT_SEGMENTS,
      downloadUrlTtlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
      maxDirectUploadBytes: env.MAX_DIRECT_UPLOAD_BYTES,
      uploadUrlTtlSeconds: env.UPLOAD_URL_TTL_SECONDS,
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      pdfMaxPages: env.PDF_MAX_PAGES,
      importLimits: {
        maxRows: env.MAX_IMPORT_ROWS,
        maxColumns: env.MAX_IMPORT_COLUMNS,
        maxCellChars: env.MAX_IMPORT_CELL_CHARS,
        maxXlsxInflatedBytes: env.MAX_XLSX_INFLATED_BYTES,
        maxXlsxEntries: env.MAX_XLSX_ENTRIES,
      },
    },
    now: () => new Date(),
    newId: () => newUlid(),
  };
}

let deps: JobDeps | undefined;

/** The dependencies of this container, built once per cold start. */
export function getDeps(): JobDeps {
  deps ??= createDeps();
  return deps;
}
