import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, NumberValue, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError, JobTransitionError, NotFoundError, ValidationError } from '../core/errors';
import type { DataJob, JobStatus } from '../core/jobs/data-job';
import type { JobPage, JobPatch, JobRepository } from '../core/ports';

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
          Item: { ...key(job.organization, job.job_id), ...job, ttl: Math.floor(Date.parse(job.created_at) / 1000) + ttlDays * 86400 },
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
    return this.conditionalUpdate(org, jobId, { ...patch, status: to }, from, `move to ${to}`);
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

  private async conditionalUpdate(org: string, jobId: string, patch: Record<string, unknown>, whileIn: readonly JobStatus[], what: string): Promise<DataJob> {
    const fields = Object.entries({ ...patch, updated_at: new Date().toISOString() }).filter(([, value]) => value !== undefined);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const sets = fields.map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:v${i}`] = value;
      return `#f${i} = :v${i}`;
    });
    whileIn.forEach((status, i) => (values[`:s${i}`] = status));
    try {
      const result = await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key(org, jobId),
          UpdateExpression: `SET ${sets.join(', ')}`,
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
  const { pk: _pk, sk: _sk, ttl: _ttl, ...job } = item;
  return plainNumbers(job) as unknown as DataJob;
}

/** The shared client keeps numbers exact as `NumberValue`s (for decimals); job numbers are counts. */
function plainNumbers(value: unknown): unknown {
  if (value instanceof NumberValue) return Number(value.toString());
  if (Array.isArray(value)) return value.map(plainNumbers);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainNumbers(v)]));
  return value;
}
