/* eslint-disable @typescript-eslint/no-explicit-any -- scripted SDK answers are untyped on purpose */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGet, batchWrite } from '../../../layers/aws/dynamodb-batch';

function throttled(): Error {
  return Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
}

/** A client whose answers are scripted call by call. */
function scriptedClient(answers: Array<(input: any) => unknown>) {
  const calls: any[] = [];
  const client = {
    send: jest.fn(async (command: { input: any }) => {
      calls.push(command.input);
      const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
      return answer(command.input);
    }),
  } as unknown as DynamoDBDocumentClient;
  return { client, calls };
}

describe('batchWrite', () => {
  it('retries a throttled call and unprocessed items until every item is written', async () => {
    const items = Array.from({ length: 30 }, (_, i) => ({ PutRequest: { Item: { pk: 'p', sk: `${i}` } } }));
    const { client, calls } = scriptedClient([
      () => {
        throw throttled();
      },
      (input) => ({ UnprocessedItems: { t: input.RequestItems.t.slice(20) } }),
      () => ({ UnprocessedItems: {} }),
    ]);

    await batchWrite(client, 't', items);

    const written = calls.slice(1).flatMap((input) => input.RequestItems.t);
    expect(calls[0].RequestItems.t).toHaveLength(25);
    expect(calls[1].RequestItems.t).toHaveLength(25);
    expect(calls[2].RequestItems.t).toHaveLength(5); // the unprocessed tail of the first batch
    expect(new Set(written.map((r: any) => r.PutRequest.Item.sk))).toEqual(new Set(items.map((r) => r.PutRequest.Item.sk)));
    expect((client.send as jest.Mock).mock.calls[0][0]).toBeInstanceOf(BatchWriteCommand);
  });

  it('gives up on other errors at once', async () => {
    const { client, calls } = scriptedClient([
      () => {
        throw Object.assign(new Error('bad'), { name: 'ValidationException' });
      },
    ]);

    await expect(batchWrite(client, 't', [{ PutRequest: { Item: { pk: 'p', sk: '1' } } }])).rejects.toThrow('bad');
    expect(calls).toHaveLength(1);
  });
});

describe('batchGet', () => {
  it('retries throttling and unprocessed keys', async () => {
    const { client } = scriptedClient([
      () => {
        throw throttled();
      },
      (input) => ({ Responses: { t: [{ sk: input.RequestItems.t.Keys[0].sk }] }, UnprocessedKeys: { t: { Keys: input.RequestItems.t.Keys.slice(1) } } }),
      (input) => ({ Responses: { t: input.RequestItems.t.Keys }, UnprocessedKeys: {} }),
    ]);

    const items = await batchGet(client, 't', [{ pk: 'p', sk: 'a' }, { pk: 'p', sk: 'b' }]);

    expect(items.map((i) => i.sk).sort()).toEqual(['a', 'b']);
  });
});
