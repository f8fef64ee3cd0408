import { DynamoDbRecordStore } from '../../layers/aws/dynamodb-record-store';
import { compileFilter, parseFilterTree } from '../../layers/core/filters';
import type { StoredRecord } from '../../layers/core/model/types';
import type { RecordStore, StoreFilter } from '../../layers/core/ports';
import { startEmulators, type Emulators } from '../support/emulators';
import { InMemoryRecordStore } from '../support/in-memory-record-store';
import { Random, items, labels, makers, randomDataset, randomFilterJson, randomRegistry, randomStoreFilter } from '../support/random-filters';

jest.setTimeout(120_000);

const ORG = 'acme';
const STORE_FILTER_CASES = 100;
const TREE_CASES = 40;

async function scanIds(store: RecordStore, filter: StoreFilter | undefined, keep: (r: StoredRecord) => boolean = () => true): Promise<string[]> {
  const ids: string[] = [];
  for (const segment of [0, 1]) {
    for await (const page of store.scan(ORG, items, { segment, totalSegments: 2, filter })) ids.push(...page.filter(keep).map((r) => r.id));
  }
  return ids.sort();
}

/**
 * Proves the DynamoDB compile of store filters agrees with the in-memory evaluator (the reference
 * the unit property tests check the filter language against), on random filters and records.
 */
describe('store filters: DynamoDB (DynamoDB Local) agrees with the in-memory store', () => {
  let emulators: Emulators;
  let dynamo: DynamoDbRecordStore;
  const memory = new InMemoryRecordStore();
  const random = new Random(7);
  const data = randomDataset(random, 60);

  beforeAll(async () => {
    emulators = await startEmulators();
    dynamo = new DynamoDbRecordStore({ client: emulators.documentClient, tableName: emulators.recordsTable });
    for (const store of [dynamo, memory]) {
      await store.write(ORG, makers, data.makers.map((record) => ({ record })));
      await store.write(ORG, labels, data.labels.map((record) => ({ record })));
      await store.write(ORG, items, data.items.map((record) => ({ record })));
    }
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it(`returns the same records for ${STORE_FILTER_CASES} random store filters`, async () => {
    let nonTrivial = 0;
    for (let i = 0; i < STORE_FILTER_CASES; i++) {
      const filter = randomStoreFilter(random);
      const expected = await scanIds(memory, filter);
      const actual = await scanIds(dynamo, filter);
      // The filter in the message makes a failure reproducible by hand.
      expect({ i, filter, ids: actual }).toEqual({ i, filter, ids: expected });
      if (expected.length > 0 && expected.length < data.items.length) nonTrivial += 1;
    }
    expect(nonTrivial).toBeGreaterThan(STORE_FILTER_CASES / 3);
  });

  it(`selects the same records for ${TREE_CASES} random filter trees compiled against each store`, async () => {
    for (let i = 0; i < TREE_CASES; i++) {
      const json = randomFilterJson(random);
      const tree = parseFilterTree(json, items, randomRegistry);
      const inMemory = await compileFilter(tree, { org: ORG, store: memory, registry: randomRegistry });
      const onDynamo = await compileFilter(tree, { org: ORG, store: dynamo, registry: randomRegistry });

      const expected = data.items.filter((r) => inMemory.matches(r)).map((r) => r.id).sort();
      const actual = await scanIds(dynamo, onDynamo.storeFilter, (r) => onDynamo.matches(r));

      expect({ i, json, ids: actual }).toEqual({ i, json, ids: expected });
    }
  });
});
