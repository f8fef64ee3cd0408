import { compileFilter, parseFilterTree, storeFilterSize } from '../../../layers/core/filters';
import type { StoredRecord } from '../../../layers/core/model/types';
import { STORE_FILTER_LIMITS, type StoreFilter } from '../../../layers/core/ports/record-store';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';
import { Random, items, labels, makers, randomDataset, randomFilterJson, randomRegistry } from '../../support/random-filters';
import { oracleMatches, type Database } from './oracle';

const ORG = 'acme';
const CASES = 300;

async function scanAll(store: InMemoryRecordStore, filter: StoreFilter | undefined): Promise<StoredRecord[]> {
  const found: StoredRecord[] = [];
  for (const segment of [0, 1]) {
    for await (const page of store.scan(ORG, items, { segment, totalSegments: 2, filter })) found.push(...page);
  }
  return found;
}

describe('filter language properties (seeded random trees)', () => {
  const random = new Random(20240611);
  const data = randomDataset(random, 80);
  const store = new InMemoryRecordStore();
  store.seed(ORG, makers, data.makers);
  store.seed(ORG, labels, data.labels);
  store.seed(ORG, items, data.items);
  const db: Database = {
    registry: randomRegistry,
    records: new Map([
      ['makers', new Map(data.makers.map((r) => [r.id, r]))],
      ['labels', new Map(data.labels.map((r) => [r.id, r]))],
      ['items', new Map(data.items.map((r) => [r.id, r]))],
    ]),
  };
  const trees = Array.from({ length: CASES }, (_, i) => [i, randomFilterJson(random)] as const);
  const stats = { storeFiltered: 0, selectedSome: 0, selectedNotAll: 0 };

  it.each(trees)('case %i: store filter AND matches = matches = the oracle', async (_i, json) => {
    const tree = parseFilterTree(json, items, randomRegistry);
    const compiled = await compileFilter(tree, { org: ORG, store, registry: randomRegistry });

    const byMatches = data.items.filter((r) => compiled.matches(r)).map((r) => r.id);
    const scanned = await scanAll(store, compiled.storeFilter);
    const byStoreThenMatches = scanned.filter((r) => compiled.matches(r)).map((r) => r.id).sort();
    const byOracle = data.items.filter((r) => oracleMatches(json, items, r, db)).map((r) => r.id);

    expect(byStoreThenMatches).toEqual(byMatches);
    expect(byMatches).toEqual(byOracle);
    if (compiled.storeFilter) {
      const size = storeFilterSize(compiled.storeFilter);
      expect(size.conditions).toBeLessThanOrEqual(STORE_FILTER_LIMITS.maxConditions);
      expect(size.values).toBeLessThanOrEqual(STORE_FILTER_LIMITS.maxValues);
      stats.storeFiltered += 1;
    }
    if (byMatches.length > 0) stats.selectedSome += 1;
    if (byMatches.length < data.items.length) stats.selectedNotAll += 1;
  });

  it('exercised store filters and non-trivial selections', () => {
    // Guards the generator: a property that only ever sees "everything" or "nothing" proves little.
    expect(stats.storeFiltered).toBeGreaterThan(CASES / 4);
    expect(stats.selectedSome).toBeGreaterThan(CASES / 4);
    expect(stats.selectedNotAll).toBeGreaterThan(CASES / 4);
  });
});
