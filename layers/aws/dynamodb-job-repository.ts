import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, NumberValue, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, JobTransitionError, NotFoundError, ValidationError } from '../core/errors';
import type { DataJob, JobStatus } from '../core/jobs/data-job';
import type { JobPage, JobPatch, JobRepository, OpenJobStatus, StaleJob, StaleJobPage } from '../core/ports';

/**
 * The sparse index of open jobs: only PENDING, QUEUED and RUNNING jobs carry `open_status` (their
 * status) and `open_since` (when they entered it), so the index holds the jobs in flight and none
 * of the finished ones. The storage stack creates it from these names.
 */
export const OPEN_JOBS_INDEX = {
  indexName: 'open-jobs',
  partitionKey: 'open_status',
  sortKey: 'open_since',
  /** Projected besides the keys: what the sweeper needs without reading each job. */
  nonKeyAttributes: ['job_id', 'organization', 'job_type', 'model', 'execution_id'],
} as const;

const OPEN: readonly JobStatus[] = ['PENDING', 'QUEUED', 'RUNNING'];

/**
 * DataJobs in DynamoDB: `pk = ORG#<org>`, `sk = JOB#<job_id>`. Job ids are ULIDs, so a query in
 * reverse key order lists the newest first. Every status change is a conditional update.
 */
export class DynamoDbJobRepository implements JobRepository {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string; ttlDays?: number }) {}

  async create(job: DataJob): Promise<void> {
    const ttlDays = this.options.ttlDays ?? 90;
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...key(job.organization, job.job_id),
            ...job,
            ...(OPEN.includes(job.status) ? { open_status: job.status, open_since: job.started_at ?? job.created_at } : {}),
            ttl: Math.floor(Date.parse(job.created_at) / 1000) + ttlDays * 86400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(`job ${job.job_id} already exists`, { cause: error });
      throw error;
    }
  }

  async get(org: string, jobId: string): Promise<DataJob | undefined> {
    const result = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: key(org, jobId), ConsistentRead: true }));
    return result.Item ? toJob(result.Item) : undefined;
  }

  async list(org: string, options: { limit: number; cursor?: string; user?: string }): Promise<JobPage> {
    const result = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)',
        ExpressionAttributeValues: { ':pk': `ORG#${org}`, ':job': 'JOB#', ...(options.user ? { ':user': options.user } : {}) },
        ...(options.user ? { FilterExpression: '#user = :user', ExpressionAttributeNames: { '#user': 'user' } } : {}),
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeCursor(org, options.cursor) : undefined,
      }),
    );
    const last = result.LastEvaluatedKey;
    return { items: (result.Items ?? []).map(toJob), nextCursor: last ? Buffer.from(String(last.sk)).toString('base64url') : null };
  }

  async transition(org: string, jobId: string, from: readonly JobStatus[], to: JobStatus, patch: JobPatch = {}): Promise<DataJob> {
    // Keep the open-jobs index in step: a final status leaves it; RUNNING restarts the clock;
    // QUEUED keeps counting from creation.
    const open = OPEN.includes(to);
    const indexed = !open ? {} : to === 'RUNNING' ? { open_status: to, open_since: patch.started_at ?? new Date().toISOString() } : { open_status: to };
    const removed = open ? [] : [OPEN_JOBS_INDEX.partitionKey, OPEN_JOBS_INDEX.sortKey];
    return this.conditionalUpdate(org, jobId, { ...patch, status: to, ...indexed }, from, `move to ${to}`, removed);
  }

  async update(org: string, jobId: string, patch: JobPatch, whileIn: readonly JobStatus[]): Promise<DataJob> {
    return this.conditionalUpdate(org, jobId, patch, whileIn, 'update');
  }

  async addProgress(org: string, jobId: string, delta: { rows_processed?: number; chunks_done?: number }): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key(org, jobId),
          UpdateExpression: 'SET progress.rows_processed = progress.rows_processed + :rows, progress.chunks_done = progress.chunks_done + :chunks, updated_at = :now',
          ConditionExpression: 'attribute_exists(progress.chunks_total)',
          ExpressionAttributeValues: { ':rows': delta.rows_processed ?? 0, ':chunks': delta.chunks_done ?? 0, ':now': new Date().toISOString() },
        }),
      );
    } catch (error) {
      // Progress is informative: a job without counters (or gone) must not fail a chunk.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async findStale(status: OpenJobStatus, before: string, options: { limit: number; cursor?: string }): Promise<StaleJobPage> {
    const result = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: OPEN_JOBS_INDEX.indexName,
        KeyConditionExpression: '#status = :status AND #since < :before',
        ExpressionAttributeNames: { '#status': OPEN_JOBS_INDEX.partitionKey, '#since': OPEN_JOBS_INDEX.sortKey },
        ExpressionAttributeValues: { ':status': status, ':before': before },
        ScanIndexForward: true,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor ? decodeStaleCursor(options.cursor) : undefined,
      }),
    );
    const last = result.LastEvaluatedKey;
    return {
      items: (result.Items ?? []).map(toStaleJob),
      nextCursor: last ? Buffer.from(JSON.stringify(last)).toString('base64url') : null,
    };
  }

  private async conditionalUpdate(
    org: string,
    jobId: string,
    patch: Record<string, unknown>,
    whileIn: readonly JobStatus[],
    what: string,
    remove: readonly string[] = [],
  ): Promise<DataJob> {
    const fields = Object.entries({ ...patch, updated_at: new Date().toISOString() }).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const sets = fields.map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    const removes = remove.map((name, i) => {
      names[`#r${i}`] = name;
      return `#r${i}`;
    });
    whileIn.forEach((status, i) => (values[`:s${i}`] = status));
    try {
      const result = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key(org, jobId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(pk) AND #status IN (${whileIn.map((_, i) => `:s${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return toJob(result.Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) throw new NotFoundError(`data job '${jobId}' not found`, { cause: error });
      const status = (error.Item.status as { S?: string } | undefined)?.S;
      throw new JobTransitionError(`cannot ${what} job ${jobId}: it is ${status}, expected ${whileIn.join(' or ')}`, { cause: error });
    }
  }
}

function key(org: string, jobId: string) {
  return { pk: `ORG#${org}`, sk: `JOB#${jobId}` };
}

function decodeCursor(org: string, cursor: string): Record<string, unknown> {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^JOB#[0-9a-z]{26}$/.test(sk)) throw new ValidationError('invalid cursor', { path: 'cursor' });
  return { pk: `ORG#${org}`, sk };
}

function toJob(item: Record<string, unknown>): DataJob {
  const { pk: _pk, sk: _sk, ttl: _ttl, open_status: _status, open_since: _since, ...job } = item;
  return plainNumbers(job) as unknown as DataJob;
}

function toStaleJob(item: Record<string, unknown>): StaleJob {
  return {
    organization: String(item.organization),
    job_id: String(item.job_id),
    job_type: item.job_type as StaleJob['job_type'],
    model: String(item.model),
    status: item.open_status as OpenJobStatus,
    since: String(item.open_since),
    execution_id: typeof item.execution_id === 'string' ? item.execution_id : null,
  };
}

/** The index's last evaluated key, as `findStale` handed it out; anything else is refused. */
function decodeStaleCursor(cursor: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new ValidationError('invalid cursor', { path: 'cursor' }, { cause: error });
  }
  const names = ['pk', 'sk', OPEN_JOBS_INDEX.partitionKey, OPEN_JOBS_INDEX.sortKey];
  if (!parsed || typeof parsed !== 'object' || Object.keys(parsed).sort().join() !== [...names].sort().join() || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new ValidationError('invalid cursor', { path: 'cursor' });
  }
  return parsed as Record<string, unknown>;
}

/** The shared client keeps numbers exact as `NumberValue`s (for decimals); job numbers are counts. */
function plainNumbers(value: unknown): unknown {
  if (value instanceof NumberValue) return Number(value.toString());
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  return value;
}
