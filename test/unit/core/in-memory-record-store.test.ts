import { ConflictError } from '../../../layers/core/errors';
import type { StoredRecord } from '../../../layers/core/model/types';
import { tags } from '../../../layers/erp/models';
import { stored } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';

describe('InMemoryRecordStore', () => {
  it('scopes records by organization and counts calls', async () => {
    const store = new InMemoryRecordStore();
    await store.write('acme', tags, [{ record: stored('t1', { name: 'eco' }) }]);

    const acme = await store.getByIds('acme', tags, ['t1', 't2']);
    const globex = await store.getByIds('globex', tags, ['t1']);

    expect([...acme.keys()]).toEqual(['t1']);
    expect(globex.size).toBe(0);
    expect(store.calls).toEqual({ getByIds: 2, findByUnique: 0, write: 1, scan: 0 });
  });

  it('moves unique entries on update and rejects a value held by another record', async () => {
    const store = new InMemoryRecordStore();
    const before = stored('t1', { name: 'eco' });
    await store.write('acme', tags, [{ record: before }]);
    await store.write('acme', tags, [{ record: stored('t1', { name: 'green' }), previous: before }]);

    const holders = await store.findByUnique('acme', tags, 'name', ['eco', 'green']);

    expect([...holders]).toEqual([['green', 't1']]);
    await expect(store.write('acme', tags, [{ record: stored('t2', { name: 'green' }) }])).rejects.toThrow(ConflictError);
  });

  it('scans disjoint segments covering every record in pages of 100', async () => {
    const store = new InMemoryRecordStore();
    store.seed('acme', tags, Array.from({ length: 450 }, (_, i) => stored(`t${i}`, { name: `n${i}` })));

    const seen: string[] = [];
    const pageSizes: number[] = [];
    for (let segment = 0; segment < 3; segment += 1) {
      for await (const page of store.scan('acme', tags, { segment, totalSegments: 3 })) {
        pageSizes.push(page.length);
        seen.push(...page.map((r: StoredRecord) => r.id));
      }
    }

    expect(new Set(seen).size).toBe(450);
    expect(seen).toHaveLength(450);
    expect(Math.max(...pageSizes)).toBe(100);
  });
});
