import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Key = Record<string, unknown>;
type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Key } };

/**
 * Throttling is expected while a new on-demand table warms up under hundreds of parallel chunks:
 * wait it out (about a minute in all) rather than fail the chunk.
 */
const THROTTLE_ATTEMPTS = 16;

/** Backoff with full jitter: 50 ms doubling, capped at 5 s. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(5000, 50 * 2 ** attempt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Errors DynamoDB answers when a table or partition is over its capacity: worth retrying. */
const THROTTLING_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/**
 * Sends a batch call, retrying throttling errors with backoff beyond the SDK's own few attempts:
 * a bulk import would rather slow down than fail.
 */
async function sendWithThrottleRetry<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!THROTTLING_ERRORS.has((error as { name?: string }).name ?? '') || attempt + 1 >= THROTTLE_ATTEMPTS) throw error;
      await sleep(backoffMs(attempt + 1));
    }
  }
}

/**
 * Writes any number of requests through BatchWriteItem (25 a call), retrying unprocessed items
 * with backoff until all are written.
 */
export async function batchWrite(client: DynamoDBDocumentClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25) as WriteRequest[];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= THROTTLE_ATTEMPTS) throw new Error(`BatchWriteItem left ${pending.length} item(s) unprocessed after ${THROTTLE_ATTEMPTS} attempts`);
      if (attempt > 0) await sleep(backoffMs(attempt));
      const result = await sendWithThrottleRetry(() => client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } })));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
}

/** Reads any number of keys through BatchGetItem (100 a call), retrying unprocessed keys. */
export async function batchGet(client: DynamoDBDocumentClient, tableName: string, keys: readonly Key[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending = keys.slice(i, i + 100) as Key[];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= THROTTLE_ATTEMPTS) throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed after ${THROTTLE_ATTEMPTS} attempts`);
      if (attempt > 0) await sleep(backoffMs(attempt));
      const result = await sendWithThrottleRetry(() => client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } })));
      items.push(...((result.Responses?.[tableName] ?? []) as Record<string, unknown>[]));
      pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    }
  }
  return items;
}
