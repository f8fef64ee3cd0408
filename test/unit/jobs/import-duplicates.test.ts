import type { RowError } from '../../../layers/core/jobs/data-job';
import { ClaimHashTable, claimHash, findDuplicatesAcrossChunks, loadInOrder, type StoredClaim } from '../../../layers/core/jobs/import-workflow-duplicates';
import { findDuplicateClaims } from '../../../layers/core/resources/validate-rows';
import { createRng } from '../../../layers/erp/demo-data';

/** Claims of `rows` rows (from row 2) cut into chunks of `chunkRows`, values drawn from a small pool so some repeat. */
function randomFile(seed: number, rows: number, chunkRows: number, pool: number) {
  const random = createRng(seed);
  const chunks: StoredClaim[][] = [];
  for (let i = 0; i < rows; i += 1) {
    const row = i + 2;
    if (i % chunkRows === 0) chunks.push([]);
    const chunk = chunks.at(-1)!;
    chunk.push(['sku', `SKU-${Math.floor(random() * pool)}`, row]);
    // Some rows also claim an explicit id; some leave the unique field empty (no claim).
    if (random() < 0.3) chunk.push(['id', `id-${Math.floor(random() * pool)}`, row]);
    if (random() < 0.1) chunk.pop();
  }
  return chunks;
}

async function findAll(chunks: StoredClaim[][], options: { hash?: (field: string, value: string) => [number, number] } = {}) {
  const reads: number[] = [];
  const byChunk = new Map<number, RowError[]>();
  const scan = await findDuplicatesAcrossChunks(
    {
      chunks: chunks.map((_, i) => i),
      claimsOf: async (chunk) => {
        reads.push(chunk);
        return chunks[chunk]!;
      },
      chunkOfRow: (row) => chunks.findIndex((claims) => claims.some((c) => c[2] === row)),
    },
    (field) => (field === 'sku' ? 'SKU' : 'id'),
    async (chunk, errors) => {
      byChunk.set(chunk, errors);
    },
    options,
  );
  return { scan, reads, byChunk, errors: [...byChunk.values()].flat() };
}

const expected = (chunks: StoredClaim[][]) =>
  findDuplicateClaims(
    chunks.flat().map(([field, value, row]) => ({ field, value, row })),
    (field) => (field === 'sku' ? 'SKU' : 'id'),
  );

describe('findDuplicatesAcrossChunks', () => {
  it.each([1, 2, 3])('finds exactly the errors findDuplicateClaims finds over all claims at once (seed %i)', async (seed) => {
    const chunks = randomFile(seed, 3000, 250, 2500);

    const { errors, scan } = await findAll(chunks);

    expect(errors.length).toBeGreaterThan(0);
    expect(errors).toEqual(expected(chunks));
    expect(scan.duplicates).toBe(errors.length);
  });

  it('gives each chunk its own errors, in row order', async () => {
    const chunks = randomFile(7, 2000, 100, 1500);

    const { byChunk } = await findAll(chunks);

    for (const [chunk, errors] of byChunk) {
      const rows = new Set(chunks[chunk]!.map((c) => c[2]));
      expect(errors.every((e) => rows.has(e.row))).toBe(true);
      expect(errors.map((e) => e.row)).toEqual([...errors.map((e) => e.row)].sort((a, b) => a - b));
    }
  });

  it('never reports a hash collision as a duplicate: values are compared in the second pass', async () => {
    const chunks = randomFile(11, 1500, 100, 1000);
    // Every claim collides with every other.
    const collide = () => [7, 7] as [number, number];

    const { errors, scan } = await findAll(chunks, { hash: collide });

    expect(errors).toEqual(expected(chunks));
    expect(scan.distinct).toBe(1);
  });

  it('reads each chunk once when no value repeats, and re-reads only the chunks involved when some do', async () => {
    const unique: StoredClaim[][] = [0, 1, 2, 3].map((c) => [0, 1, 2].map((i) => ['sku', `S-${c}-${i}`, 2 + c * 3 + i] as StoredClaim));

    const clean = await findAll(unique);
    unique[3]![1] = ['sku', 'S-1-0', 12];
    const repeated = await findAll(unique);

    expect(clean.reads).toEqual([0, 1, 2, 3]);
    expect(clean.scan).toMatchObject({ duplicates: 0, repeatedHashes: 0, rereadChunks: 0, claims: 12 });
    expect(repeated.reads).toEqual([0, 1, 2, 3, 1, 3]);
    expect(repeated.errors).toEqual([{ row: 12, column: 'SKU', field: 'sku', value: 'S-1-0', code: 'unique', message: '"S-1-0" is already used by row 5 of this file' }]);
  });

  it('tells the same value in two fields apart', async () => {
    const { errors } = await findAll([[['sku', 'X', 2], ['id', 'X', 3]], [['sku', 'X', 4]]]);

    expect(errors).toEqual([expect.objectContaining({ row: 4, field: 'sku', message: '"X" is already used by row 2 of this file' })]);
  });
});

describe('ClaimHashTable', () => {
  it('keeps every hash and its first row across growth', () => {
    const table = new ClaimHashTable();
    const n = 200_000;

    const firstTime = Array.from({ length: n }, (_, i) => table.claim(...claimHash('sku', `v${i}`), i + 2));
    const again = Array.from({ length: n }, (_, i) => table.claim(...claimHash('sku', `v${i}`), n + i + 2));

    expect(firstTime.every((row) => row === undefined)).toBe(true);
    expect(again.every((row, i) => row === i + 2)).toBe(true);
    expect(table.size).toBe(n);
    expect(table.has(...claimHash('sku', 'v0'))).toBe(true);
    expect(table.has(...claimHash('sku', 'absent'))).toBe(false);
    // Two slots at most per entry, 12 bytes a slot.
    expect(table.bytes).toBeLessThanOrEqual(n * 2 * 12 * 2);
  });

  it('never hands out the empty marker as a hash', () => {
    expect(claimHash('', '')).not.toEqual([0, 0]);
  });
});

describe('loadInOrder', () => {
  it('yields in order with at most `ahead` loads in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const load = async (n: number) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, (n * 7) % 5));
      inFlight -= 1;
      return n * 10;
    };

    const out: Array<[number, number]> = [];
    for await (const pair of loadInOrder([1, 2, 3, 4, 5, 6, 7, 8], load, 3)) out.push(pair);

    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, n * 10]));
    expect(most).toBeLessThanOrEqual(3);
  });

  it('rethrows a failed load when its turn comes', async () => {
    const load = async (n: number) => {
      if (n === 2) throw new Error('no chunk 2');
      return n;
    };
    const seen: number[] = [];

    await expect(
      (async () => {
        for await (const [n] of loadInOrder([1, 2, 3], load)) seen.push(n);
      })(),
    ).rejects.toThrow('no chunk 2');
    expect(seen).toEqual([1]);
  });
});
