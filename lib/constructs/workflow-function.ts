import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BucketAccess, DataioFunction, TableAccess } from './dataio-function';

/** What every workflow task function works on, and how it splits the work. */
export interface WorkflowDataProps {
  /** The DataJob table (every task reads and updates its job). */
  readonly jobsTable: dynamodb.ITable;

  /** The business records table. */
  readonly recordsTable: dynamodb.ITable;

  /** The files bucket (uploads, manifests, reports, outputs). */
  readonly filesBucket: s3.IBucket;

  /**
   * Rows per import chunk (`IMPORT_CHUNK_ROWS`).
   * @default 5000
   */
  readonly importChunkRows?: number;

  /**
   * Number of parallel export segments (`EXPORT_SEGMENTS`).
   * @default 4
   */
  readonly exportSegments?: number;

  /**
   * Retention of the task functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

export interface WorkflowFunctionProps extends WorkflowDataProps {
  /** Repo-relative handler path, e.g. `lambdas/workflow/import-prepare.ts`. */
  readonly entry: string;

  /**
   * What the task does with records (`RECORDS_TABLE_NAME` is set only when given).
   * @default - no access to the records table
   */
  readonly records?: TableAccess;

  /**
   * What the task does in the files bucket (`FILES_BUCKET_NAME` is set only when given).
   * @default - no access to the files bucket
   */
  readonly files?: BucketAccess;

  /** Memory in MB. @default 1024 */
  readonly memorySize?: number;

  /** Files from node_modules the handler reads at run time (see `DataioFunction`). @default none */
  readonly bundledFiles?: readonly string[];

  /**
   * Page limit of PDF exports (`PDF_MAX_PAGES`), set on functions that draw PDFs.
   * @default none
   */
  readonly pdfMaxPages?: number;
}

export const DEFAULT_IMPORT_CHUNK_ROWS = 5000;
export const DEFAULT_EXPORT_SEGMENTS = 4;

/**
 * A state machine task function: 15 minutes, 1 GB, the DataJob table, exactly the records and
 * files access its step needs, and the chunking settings in its environment so every task of a
 * job agrees on them.
 */
export class WorkflowFunction extends DataioFunction {
  constructor(scope: Construct, id: string, props: WorkflowFunctionProps) {
    const importChunkRows = props.importChunkRows ?? DEFAULT_IMPORT_CHUNK_ROWS;
    const exportSegments = props.exportSegments ?? DEFAULT_EXPORT_SEGMENTS;
    assertPositiveInteger('importChunkRows', importChunkRows);
    assertPositiveInteger('exportSegments', exportSegments);

    super(scope, id, {
      entry: props.entry,
      memorySize: props.memorySize ?? 1024,
      bundledFiles: props.bundledFiles,
      timeout: cdk.Duration.minutes(15),
      logRetention: props.logRetention,
      environment: {
        IMPORT_CHUNK_ROWS: String(importChunkRows),
        EXPORT_SEGMENTS: String(exportSegments),
        ...(props.pdfMaxPages !== undefined ? { PDF_MAX_PAGES: String(props.pdfMaxPages) } : {}),
      },
    });

    // A task reads its job and updates it (status, progress, result), through the scoped
    // repository, which re-reads the job before its first write: never a put, query or delete.
    this.bindJobsTable(props.jobsTable, { actions: ['GetItem', 'UpdateItem'] });
    if (props.records) this.bindRecordsTable(props.recordsTable, props.records);
    if (props.files) this.bindFilesBucket(props.filesBucket, props.files);
  }
}

/** Fails synthesis with a readable message instead of deploying a nonsensical setting. */
export function assertPositiveInteger(name: string, value: number, max?: number): void {
  if (!cdk.Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1 || (max !== undefined && value > max))) {
    const range = max === undefined ? 'a positive integer' : `an integer between 1 and ${max}`;
    throw new Error(`${name} must be ${range}, got ${value}`);
  }
}
